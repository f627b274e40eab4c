//! Generates the ONNX message types from `proto/onnx.proto` (ONNX 1.17.0,
//! Apache-2.0), compiled by protox so that no `protoc` binary is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/onnx.proto");
    let files = protox::compile(["onnx.proto"], ["proto"])?;
    prost_build::Config::new().compile_fds(files)?;
    Ok(())
}
