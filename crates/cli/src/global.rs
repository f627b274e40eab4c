//! Options every subcommand understands.

use std::path::PathBuf;

#[derive(clap::Args, Debug, Clone)]
pub struct Global {
    /// Models directory (default: $XDG_DATA_HOME/lfr/models, or ~/.local/share/lfr/models).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "LFR_MODELS",
        value_name = "DIR"
    )]
    pub models: Option<PathBuf>,

    /// The recognition model: the id of an installed package or combined
    /// model (`lfr models list`; default sface-dlib), or `dlib-resnet-v1`
    /// (built in). New deployments get it; existing ones keep their own
    /// (`lfr deployment set-algorithm`).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "LFR_MODEL",
        value_name = "ID"
    )]
    pub model: Option<String>,

    /// Database URL: sqlite://PATH or postgres://... (default: sqlite in $XDG_DATA_HOME/lfr/lfr.db).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "LFR_DB",
        value_name = "URL"
    )]
    pub db: Option<String>,

    /// The operator's key directory: master key and per-deployment data keys
    /// (default: $XDG_CONFIG_HOME/lfr/keys, away from the database's folder).
    /// Keep it out of database backups.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "LFR_KEYS",
        value_name = "DIR"
    )]
    pub keys: Option<PathBuf>,

    /// Where recorded footage lives (default: $XDG_DATA_HOME/lfr/footage).
    /// Retention registers and deletes recordings inside it only.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "LFR_FOOTAGE_DIR",
        value_name = "DIR"
    )]
    pub footage_dir: Option<PathBuf>,

    /// Your sign-in token, as issued by `lfr user bootstrap`, `lfr user add` or `lfr user token`.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "LFR_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// What runs the networks: onnxruntime (the default), hybrid (ONNX
    /// Runtime detects, OpenVINO describes, in bfloat16 where the processor
    /// computes in it natively: twice as fast there), openvino (both),
    /// openvino-f32, or cuda (ONNX Runtime on an NVIDIA GPU: `lfr models
    /// install --gpu`). Every engine of the process uses it.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "LFR_RUNTIME",
        value_name = "RUNTIME"
    )]
    pub runtime: Option<lfr_engine::runtime::Runtime>,

    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
}
