//! Hypervolume, IGD and IGD+ on hand-computed examples.

use rwenas_nsga2::indicators::{hypervolume, igd, igd_plus};

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-12
}

#[test]
fn hypervolume_two_objectives() {
    // Staircase (1,3), (2,2), (3,1) under reference (4,4): 3 + 2 + 1 = 6.
    let points = [[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]];
    assert!(close(hypervolume(&points, &[4.0, 4.0]), 6.0));
    // A dominated point and a point outside the reference box add nothing.
    let points = [[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [3.0, 3.0], [5.0, 0.0]];
    assert!(close(hypervolume(&points, &[4.0, 4.0]), 6.0));
    // A point on the reference boundary adds nothing.
    assert!(close(hypervolume(&[[4.0, 0.0]], &[4.0, 4.0]), 0.0));
    assert!(close(hypervolume::<[f64; 2]>(&[], &[1.0, 1.0]), 0.0));
}

#[test]
fn hypervolume_three_objectives() {
    // One point: a box of 1 x 2 x 3.
    assert!(close(
        hypervolume(&[[0.0, 0.0, 0.0]], &[1.0, 2.0, 3.0]),
        6.0
    ));
    // Unit vectors under reference (2,2,2): three boxes of volume 4, pairwise overlaps of
    // volume 2 and a triple overlap of volume 1, so 3 * 4 - 3 * 2 + 1 = 7.
    let points = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    assert!(close(hypervolume(&points, &[2.0, 2.0, 2.0]), 7.0));
    // Duplicates and dominated points change nothing.
    let points = [
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, 1.0],
        [1.0, 1.0, 1.0],
    ];
    assert!(close(hypervolume(&points, &[2.0, 2.0, 2.0]), 7.0));
}

#[test]
fn hypervolume_four_objectives() {
    let points = [[0.0, 0.0, 0.0, 0.0]];
    assert!(close(hypervolume(&points, &[1.0, 2.0, 3.0, 4.0]), 24.0));
    let points = [[0.0, 1.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0]];
    // Two boxes of 2 * 1 * 1 * 1 overlapping in a unit box: 2 + 2 - 1 = 3.
    assert!(close(hypervolume(&points, &[2.0, 2.0, 2.0, 2.0]), 3.0));
}

#[test]
fn igd_hand_example() {
    let reference = [[0.0, 1.0], [1.0, 0.0]];
    let approximation = [[0.0, 2.0], [2.0, 0.0]];
    // Each reference point is at distance 1 from its nearest approximation point.
    assert!(close(igd(&approximation, &reference), 1.0));
    let approximation = [[0.0, 1.0]];
    // Distances 0 and sqrt(2).
    assert!(close(
        igd(&approximation, &reference),
        std::f64::consts::SQRT_2 / 2.0
    ));
}

#[test]
fn igd_plus_hand_example() {
    let reference = [[0.0, 1.0], [1.0, 0.0]];
    // Point (0.5, 0.5) is better than both reference points in one objective: IGD+ counts
    // only the worse objective, distance 0.5 to each.
    let approximation = [[0.5, 0.5]];
    assert!(close(igd_plus(&approximation, &reference), 0.5));
    assert!(close(
        igd(&approximation, &reference),
        (0.5f64.powi(2) * 2.0).sqrt()
    ));
    // A point dominating every reference point has IGD+ 0.
    assert!(close(igd_plus(&[[-1.0, -1.0]], &reference), 0.0));
}

#[test]
#[should_panic(expected = "hypervolume: point 1 has 3 objectives but the reference point has 2")]
fn hypervolume_rejects_point_of_other_length() {
    let points: [&[f64]; 2] = [&[1.0, 1.0], &[1.0, 1.0, 1.0]];
    hypervolume(&points, &[2.0, 2.0]);
}

#[test]
#[should_panic(
    expected = "igd: approximation point 1 has 3 objectives but reference point 0 has 2"
)]
fn igd_rejects_approximation_of_other_length() {
    let approximation: [&[f64]; 2] = [&[0.0, 1.0], &[0.0, 1.0, 5.0]];
    igd(&approximation, &[[0.0, 1.0], [1.0, 0.0]]);
}

#[test]
#[should_panic(
    expected = "igd_plus: reference point 1 has 3 objectives but reference point 0 has 2"
)]
fn igd_plus_rejects_inconsistent_reference() {
    let reference: [&[f64]; 2] = [&[0.0, 1.0], &[1.0, 0.0, 0.0]];
    igd_plus(&[[0.0, 1.0]], &reference);
}

#[test]
#[should_panic(
    expected = "igd: approximation point 2 has 3 objectives but approximation point 0 has 2"
)]
fn igd_checks_lengths_with_empty_reference() {
    let approximation: [&[f64]; 3] = [&[0.0, 1.0], &[1.0, 0.0], &[1.0, 0.0, 0.0]];
    igd::<_, [f64; 2]>(&approximation, &[]);
}
