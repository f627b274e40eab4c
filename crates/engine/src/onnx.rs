//! A small builder that writes ONNX models (protobuf) in memory.
//!
//! lfr turns networks shipped in other formats (dlib's `.dat`) into ONNX so
//! that any ONNX runtime can execute them. Only the handful of message fields
//! a float inference graph needs are written; field numbers follow `onnx.proto`.

/// ONNX tensor element type FLOAT.
const FLOAT: i64 = 1;
/// ONNX tensor element type INT64.
const INT64: i64 = 7;
/// The operator set the emitted graphs target (supported by every ONNX Runtime since 1.8).
pub const OPSET: i64 = 13;

/// Protobuf wire encoding of the few shapes we need.
#[derive(Default)]
struct Msg(Vec<u8>);

impl Msg {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn key(&mut self, field: u32, wire: u8) {
        self.varint(((field as u64) << 3) | wire as u64);
    }
    fn int(&mut self, field: u32, v: i64) -> &mut Self {
        self.key(field, 0);
        self.varint(v as u64);
        self
    }
    fn float(&mut self, field: u32, v: f32) -> &mut Self {
        self.key(field, 5);
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn bytes(&mut self, field: u32, b: &[u8]) -> &mut Self {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
        self
    }
    fn str(&mut self, field: u32, s: &str) -> &mut Self {
        self.bytes(field, s.as_bytes())
    }
    fn msg(&mut self, field: u32, m: &Msg) -> &mut Self {
        self.bytes(field, &m.0)
    }
}

/// A node attribute.
pub enum Attr {
    Int(i64),
    Ints(Vec<i64>),
    Float(f32),
}

/// A graph under construction. Values are referred to by name.
pub struct Graph {
    nodes: Vec<Msg>,
    initializers: Vec<Msg>,
    inputs: Vec<Msg>,
    outputs: Vec<Msg>,
    counter: usize,
}

/// A dimension of a graph input or output: fixed, or named and free (e.g. the batch).
pub enum Dim {
    Fixed(i64),
    Named(&'static str),
}

fn value_info(name: &str, dims: &[Dim]) -> Msg {
    let mut shape = Msg::default();
    for d in dims {
        let mut dim = Msg::default();
        match d {
            Dim::Fixed(v) => dim.int(1, *v),
            Dim::Named(s) => dim.str(2, s),
        };
        shape.msg(1, &dim);
    }
    let mut tensor_type = Msg::default();
    tensor_type.int(1, FLOAT).msg(2, &shape);
    let mut ty = Msg::default();
    ty.msg(1, &tensor_type);
    let mut vi = Msg::default();
    vi.str(1, name).msg(2, &ty);
    vi
}

impl Graph {
    pub fn new() -> Self {
        Self {
            nodes: Vec::new(),
            initializers: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            counter: 0,
        }
    }

    /// A fresh value name with a readable prefix.
    pub fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}_{}", self.counter)
    }

    pub fn input(&mut self, name: &str, dims: &[Dim]) {
        self.inputs.push(value_info(name, dims));
    }

    pub fn output(&mut self, name: &str, dims: &[Dim]) {
        self.outputs.push(value_info(name, dims));
    }

    /// A constant f32 tensor; returns its name.
    pub fn constant(&mut self, prefix: &str, dims: &[usize], data: &[f32]) -> String {
        debug_assert_eq!(dims.iter().product::<usize>(), data.len());
        let name = self.fresh(prefix);
        let mut t = Msg::default();
        for &d in dims {
            t.int(1, d as i64);
        }
        t.int(2, FLOAT).str(8, &name);
        let raw: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        t.bytes(9, &raw);
        self.initializers.push(t);
        name
    }

    /// A constant int64 vector (for shape-like operator inputs such as `Pad`'s pads).
    pub fn constant_i64(&mut self, prefix: &str, data: &[i64]) -> String {
        let name = self.fresh(prefix);
        let mut t = Msg::default();
        t.int(1, data.len() as i64).int(2, INT64).str(8, &name);
        let raw: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        t.bytes(9, &raw);
        self.initializers.push(t);
        name
    }

    /// Adds a node with one output and returns the output's name.
    pub fn node(&mut self, op: &str, inputs: &[&str], attrs: &[(&str, Attr)]) -> String {
        let out = self.fresh(&op.to_ascii_lowercase());
        self.node_named(op, inputs, &out, attrs);
        out
    }

    /// Adds a node whose single output has the given name.
    pub fn node_named(&mut self, op: &str, inputs: &[&str], output: &str, attrs: &[(&str, Attr)]) {
        let mut n = Msg::default();
        for i in inputs {
            n.str(1, i);
        }
        n.str(2, output).str(3, output).str(4, op);
        for (name, a) in attrs {
            let mut m = Msg::default();
            m.str(1, name);
            match a {
                Attr::Int(v) => m.int(3, *v).int(20, 2),
                Attr::Float(v) => m.float(2, *v).int(20, 1),
                Attr::Ints(vs) => {
                    for v in vs {
                        m.int(8, *v);
                    }
                    m.int(20, 7)
                }
            };
            n.msg(5, &m);
        }
        self.nodes.push(n);
    }

    /// Serialises the graph as a complete `ModelProto`.
    pub fn to_model_bytes(&self, graph_name: &str, producer: &str) -> Vec<u8> {
        let mut g = Msg::default();
        for n in &self.nodes {
            g.msg(1, n);
        }
        g.str(2, graph_name);
        for t in &self.initializers {
            g.msg(5, t);
        }
        for i in &self.inputs {
            g.msg(11, i);
        }
        for o in &self.outputs {
            g.msg(12, o);
        }
        let mut opset = Msg::default();
        opset.str(1, "").int(2, OPSET);
        let mut model = Msg::default();
        // IR version 7 goes with opset 13.
        model.int(1, 7).str(2, producer).msg(7, &g).msg(8, &opset);
        model.0
    }
}

impl Default for Graph {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_little_endian_base_128() {
        let mut m = Msg::default();
        m.varint(300);
        assert_eq!(m.0, [0xac, 0x02]);
        let mut m = Msg::default();
        m.int(1, -1);
        assert_eq!(m.0.len(), 11, "negative int64 take ten bytes plus the key");
    }

    #[test]
    fn fresh_names_are_unique() {
        let mut g = Graph::new();
        let a = g.fresh("x");
        let b = g.fresh("x");
        assert_ne!(a, b);
    }
}
