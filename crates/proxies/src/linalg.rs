//! Small dense linear algebra in double precision, on row-major `n x n` matrices.

/// Returns the correlation matrix of the rows of `data` (`rows x columns`, row-major), as
/// NumPy's `corrcoef` computes it: entry `(i, j)` is the Pearson correlation of rows `i` and
/// `j`. A row with zero variance gives NaN entries.
pub fn correlation_matrix(data: &[f64], rows: usize, columns: usize) -> Vec<f64> {
    assert_eq!(data.len(), rows * columns, "data is rows x columns");
    let centred: Vec<Vec<f64>> = data
        .chunks_exact(columns.max(1))
        .take(rows)
        .map(|row| {
            let mean = row.iter().sum::<f64>() / columns as f64;
            row.iter().map(|x| x - mean).collect()
        })
        .collect();
    let mut covariance = vec![0.0; rows * rows];
    for i in 0..rows {
        for j in i..rows {
            let value: f64 = centred[i].iter().zip(&centred[j]).map(|(a, b)| a * b).sum();
            covariance[i * rows + j] = value;
            covariance[j * rows + i] = value;
        }
    }
    let deviation: Vec<f64> = (0..rows).map(|i| covariance[i * rows + i].sqrt()).collect();
    let mut correlation = vec![0.0; rows * rows];
    for i in 0..rows {
        for j in 0..rows {
            correlation[i * rows + j] = covariance[i * rows + j] / (deviation[i] * deviation[j]);
        }
    }
    correlation
}

/// Returns `log |det A|` of the `n x n` matrix `a` by LU decomposition with partial
/// pivoting; negative infinity for a singular matrix.
pub fn log_abs_determinant(a: &[f64], n: usize) -> f64 {
    assert_eq!(a.len(), n * n, "a is n x n");
    let mut lu = a.to_vec();
    let mut log_det = 0.0;
    for column in 0..n {
        let pivot = (column..n)
            .max_by(|&p, &q| {
                lu[p * n + column]
                    .abs()
                    .total_cmp(&lu[q * n + column].abs())
            })
            .expect("the range is not empty");
        let pivot_value = lu[pivot * n + column];
        if pivot_value == 0.0 {
            return f64::NEG_INFINITY;
        }
        if pivot != column {
            for k in 0..n {
                lu.swap(pivot * n + k, column * n + k);
            }
        }
        log_det += pivot_value.abs().ln();
        for row in column + 1..n {
            let factor = lu[row * n + column] / pivot_value;
            if factor != 0.0 {
                for k in column..n {
                    lu[row * n + k] -= factor * lu[column * n + k];
                }
            }
        }
    }
    log_det
}

/// Returns the eigenvalues of the symmetric `n x n` matrix `a`, in ascending order, by the
/// cyclic Jacobi method (sweeps of plane rotations until the off-diagonal mass is below
/// `1e-22` of the total).
pub fn symmetric_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    assert_eq!(a.len(), n * n, "a is n x n");
    let mut m = a.to_vec();
    let total: f64 = m.iter().map(|x| x * x).sum();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        if off <= 1e-22 * total || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (mkp, mkq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let (mpk, mqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
            }
        }
    }
    let mut values: Vec<f64> = (0..n).map(|i| m[i * n + i]).collect();
    values.sort_by(f64::total_cmp);
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn determinant_of_a_known_matrix() {
        // det = 2 * (3 * 4 - 1 * 1) - 1 * (1 * 4 - 1 * 0) + 0 = 22 - 4 = 18
        let a = [2.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 4.0];
        assert!((log_abs_determinant(&a, 3) - 18f64.ln()).abs() < 1e-12);
        // A row swap flips the sign, not the magnitude.
        let swapped = [1.0, 3.0, 1.0, 2.0, 1.0, 0.0, 0.0, 1.0, 4.0];
        assert!((log_abs_determinant(&swapped, 3) - 18f64.ln()).abs() < 1e-12);
        let singular = [1.0, 2.0, 2.0, 4.0];
        assert_eq!(log_abs_determinant(&singular, 2), f64::NEG_INFINITY);
    }

    #[test]
    fn eigenvalues_of_known_matrices() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let values = symmetric_eigenvalues(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 1.0).abs() < 1e-12);
        assert!((values[1] - 3.0).abs() < 1e-12);
        // A 3x3 matrix: eigenvalues 2 - sqrt(2), 2, 2 + sqrt(2).
        let a = [2.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 2.0];
        let values = symmetric_eigenvalues(&a, 3);
        let expected = [2.0 - 2f64.sqrt(), 2.0, 2.0 + 2f64.sqrt()];
        for (value, expected) in values.iter().zip(expected) {
            assert!((value - expected).abs() < 1e-10, "{values:?}");
        }
    }

    #[test]
    fn correlation_of_rows() {
        // Row 1 is row 0 doubled (correlation 1), row 2 is row 0 reversed (-1).
        let data = [1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 3.0, 2.0, 1.0];
        let c = correlation_matrix(&data, 3, 3);
        let expected = [1.0, 1.0, -1.0, 1.0, 1.0, -1.0, -1.0, -1.0, 1.0];
        for (value, expected) in c.iter().zip(expected) {
            assert!((value - expected).abs() < 1e-12);
        }
        assert!(correlation_matrix(&[1.0, 1.0, 1.0, 2.0], 2, 2)[0].is_nan());
    }
}
