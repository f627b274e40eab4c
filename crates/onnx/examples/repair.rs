fn main() {
    let a: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&a[1]).unwrap();
    let mut m = lfr_onnx::decode(&bytes).unwrap();
    let r = lfr_onnx::repair(&mut m).unwrap();
    println!("unfed {} constant {}", r.unfed.len(), r.constant.len());
    if a.len() > 3 {
        println!("folded {}", lfr_onnx::fold_constants(&mut m).unwrap());
    }
    lfr_onnx::set_dynamic_batch(&mut m, "N").unwrap();
    std::fs::write(&a[2], lfr_onnx::encode(&m)).unwrap();
}
