//! Reading and writing the values of constant tensors (initializers).

use crate::proto::TensorProto;
use crate::proto::tensor_proto::DataType;

#[derive(Debug, thiserror::Error)]
pub enum TensorError {
    #[error("tensor {name}: element type {ty} is not supported here")]
    Type { name: String, ty: i32 },
    #[error("tensor {name}: {reason}")]
    Shape { name: String, reason: String },
    #[error("tensor {name} keeps its data in an external file, which lfr does not read")]
    External { name: String },
}

fn count(t: &TensorProto) -> Result<usize, TensorError> {
    t.dims.iter().try_fold(1usize, |n, &d| {
        usize::try_from(d)
            .ok()
            .and_then(|d| n.checked_mul(d))
            .ok_or_else(|| TensorError::Shape {
                name: t.name().into(),
                reason: format!("impossible dimensions {:?}", t.dims),
            })
    })
}

fn checked<T>(t: &TensorProto, v: Vec<T>) -> Result<Vec<T>, TensorError> {
    let n = count(t)?;
    if v.len() != n {
        return Err(TensorError::Shape {
            name: t.name().into(),
            reason: format!("{} values for dimensions {:?}", v.len(), t.dims),
        });
    }
    Ok(v)
}

fn raw_chunks<const N: usize>(t: &TensorProto) -> impl Iterator<Item = [u8; N]> + '_ {
    t.raw_data
        .as_deref()
        .unwrap_or_default()
        .chunks_exact(N)
        .map(|c| c.try_into().expect("chunks_exact gives N bytes"))
}

fn has_raw(t: &TensorProto) -> Result<bool, TensorError> {
    if t.data_location == Some(1) || !t.external_data.is_empty() {
        return Err(TensorError::External {
            name: t.name().into(),
        });
    }
    Ok(t.raw_data.as_ref().is_some_and(|r| !r.is_empty()))
}

/// The values of a numeric tensor as `f32` (float, int8, uint8, int32).
pub fn to_f32(t: &TensorProto) -> Result<Vec<f32>, TensorError> {
    let raw = has_raw(t)?;
    let v: Vec<f32> = match DataType::try_from(t.data_type()) {
        Ok(DataType::Float) if raw => raw_chunks::<4>(t).map(f32::from_le_bytes).collect(),
        Ok(DataType::Float) => t.float_data.clone(),
        Ok(DataType::Int8) if raw => raw_chunks::<1>(t).map(|[b]| b as i8 as f32).collect(),
        Ok(DataType::Uint8) if raw => raw_chunks::<1>(t).map(|[b]| b as f32).collect(),
        // Without raw data, 8-bit values are stored one per int32.
        Ok(DataType::Int8 | DataType::Uint8 | DataType::Int32) if !raw => {
            t.int32_data.iter().map(|&x| x as f32).collect()
        }
        Ok(DataType::Int32) => raw_chunks::<4>(t)
            .map(|b| i32::from_le_bytes(b) as f32)
            .collect(),
        _ => {
            return Err(TensorError::Type {
                name: t.name().into(),
                ty: t.data_type(),
            });
        }
    };
    checked(t, v)
}

/// The values of an int64 tensor (shapes, axes).
pub fn to_i64(t: &TensorProto) -> Result<Vec<i64>, TensorError> {
    let raw = has_raw(t)?;
    let v = match DataType::try_from(t.data_type()) {
        Ok(DataType::Int64) if raw => raw_chunks::<8>(t).map(i64::from_le_bytes).collect(),
        Ok(DataType::Int64) => t.int64_data.clone(),
        _ => {
            return Err(TensorError::Type {
                name: t.name().into(),
                ty: t.data_type(),
            });
        }
    };
    checked(t, v)
}

/// A float tensor named `name` with these dimensions and values (raw little-endian data).
pub fn float_tensor(name: &str, dims: Vec<i64>, values: &[f32]) -> TensorProto {
    TensorProto {
        name: Some(name.to_string()),
        dims,
        data_type: Some(DataType::Float as i32),
        raw_data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_typed_data_read_alike() {
        let raw = float_tensor("w", vec![2, 2], &[1.0, -2.0, 3.5, 0.0]);
        assert_eq!(to_f32(&raw).unwrap(), [1.0, -2.0, 3.5, 0.0]);
        let typed = TensorProto {
            name: Some("q".into()),
            dims: vec![3],
            data_type: Some(DataType::Int8 as i32),
            int32_data: vec![-128, 0, 127],
            ..Default::default()
        };
        assert_eq!(to_f32(&typed).unwrap(), [-128.0, 0.0, 127.0]);
        let bytes = TensorProto {
            name: Some("q".into()),
            dims: vec![2],
            data_type: Some(DataType::Int8 as i32),
            raw_data: Some(vec![0xff, 0x05]),
            ..Default::default()
        };
        assert_eq!(to_f32(&bytes).unwrap(), [-1.0, 5.0]);
    }

    #[test]
    fn a_tensor_whose_data_disagrees_with_its_shape_is_refused() {
        let t = float_tensor("w", vec![3], &[1.0, 2.0]);
        let e = to_f32(&t).unwrap_err();
        assert!(e.to_string().contains("2 values for dimensions [3]"), "{e}");
        let s = TensorProto {
            name: Some("s".into()),
            dims: vec![2],
            data_type: Some(DataType::Int64 as i32),
            int64_data: vec![4, 5],
            ..Default::default()
        };
        assert_eq!(to_i64(&s).unwrap(), [4, 5]);
        assert!(to_f32(&s).is_err(), "int64 is not read as weights");
    }
}
