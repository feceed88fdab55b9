//! Rank correlations between two lists of scores.

/// Returns the ranks of `values`, counted from 1, with tied values given their mean rank.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let mean_rank = (start + end + 1) as f64 / 2.0;
        for &index in &order[start..end] {
            ranks[index] = mean_rank;
        }
        start = end;
    }
    ranks
}

/// Returns Spearman's rho: the Pearson correlation of the ranks. NaN when either list has
/// fewer than 2 distinct values.
///
/// # Panics
///
/// Panics when the lists differ in length.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "the lists have the same length");
    pearson(&ranks(x), &ranks(y))
}

/// Returns the Pearson correlation of `x` and `y`.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "the lists have the same length");
    let n = x.len() as f64;
    let mean_x = x.iter().sum::<f64>() / n;
    let mean_y = y.iter().sum::<f64>() / n;
    let mut covariance = 0.0;
    let mut variance_x = 0.0;
    let mut variance_y = 0.0;
    for (a, b) in x.iter().zip(y) {
        covariance += (a - mean_x) * (b - mean_y);
        variance_x += (a - mean_x).powi(2);
        variance_y += (b - mean_y).powi(2);
    }
    covariance / (variance_x * variance_y).sqrt()
}

/// Returns Kendall's tau-b, which corrects for ties in either list. NaN when either list
/// is constant.
///
/// # Panics
///
/// Panics when the lists differ in length.
pub fn kendall(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "the lists have the same length");
    let mut concordant = 0.0f64;
    let mut discordant = 0.0;
    let mut ties_x = 0.0;
    let mut ties_y = 0.0;
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            let dx = x[i] - x[j];
            let dy = y[i] - y[j];
            if dx == 0.0 && dy == 0.0 {
                continue;
            } else if dx == 0.0 {
                ties_x += 1.0;
            } else if dy == 0.0 {
                ties_y += 1.0;
            } else if dx * dy > 0.0 {
                concordant += 1.0;
            } else {
                discordant += 1.0;
            }
        }
    }
    let denominator =
        ((concordant + discordant + ties_x) * (concordant + discordant + ties_y)).sqrt();
    (concordant - discordant) / denominator
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_and_reversed_orders() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(spearman(&x, &[10.0, 20.0, 30.0, 40.0]), 1.0);
        assert_eq!(spearman(&x, &[4.0, 3.0, 2.0, 1.0]), -1.0);
        assert_eq!(kendall(&x, &[1.0, 4.0, 9.0, 16.0]), 1.0);
        assert_eq!(kendall(&x, &[4.0, 3.0, 2.0, 1.0]), -1.0);
    }

    #[test]
    fn ties_get_mean_ranks() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn known_values_with_ties() {
        // By hand: rank differences 1, 1, 1, 1, 0 give rho = 1 - 6 * 4 / (5 * 24) = 0.8, and
        // 2 discordant pairs of 10 give tau = 0.6. With the tie in y, 5 concordant pairs and
        // 1 tie give tau-b = 5 / sqrt(5 * 6).
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 1.0, 4.0, 3.0, 5.0]);
        assert!((rho - 0.8).abs() < 1e-12);
        let tau = kendall(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 1.0, 4.0, 3.0, 5.0]);
        assert!((tau - 0.6).abs() < 1e-12);
        let tau_b = kendall(&[1.0, 2.0, 3.0, 4.0], &[1.0, 1.0, 2.0, 3.0]);
        assert!((tau_b - 0.912_870_929_175_276_9).abs() < 1e-12);
    }
}
