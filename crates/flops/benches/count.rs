//! Time to count one architecture: DARTS V2 at C = 36, 20 cells, and a macro network at
//! the search scale.

use criterion::{Criterion, criterion_group, criterion_main};
use rwenas_flops::{Convention, count};
use rwenas_genome::Genome;
use rwenas_space::SearchSpace;
use rwenas_space::macro_space::{MacroScale, MacroSpace};
use rwenas_space::micro::{MicroScale, build_network, catalogue};

fn bench_count(criterion: &mut Criterion) {
    let genotype = catalogue::genotype("darts_v2").expect("catalogue has darts_v2");
    let micro =
        build_network(&genotype, &MicroScale::deployment(36, true)).expect("DARTS V2 builds");
    criterion.bench_function("count darts_v2 C=36 L=20", |bench| {
        bench.iter(|| count(std::hint::black_box(&micro), Convention::NsgaNet))
    });
    criterion.bench_function("decode and count darts_v2 search scale", |bench| {
        bench.iter(|| {
            let network = build_network(&genotype, &MicroScale::search()).expect("builds");
            count(&network, Convention::ConvLinear)
        })
    });
    let space = MacroSpace::nsga_net(MacroScale::search()).expect("valid scale");
    let genome = Genome::new(vec![1; 48]);
    let network = space.decode(&genome).expect("all-ones genome decodes");
    criterion.bench_function("count macro all-ones search scale", |bench| {
        bench.iter(|| count(std::hint::black_box(&network), Convention::NsgaNet))
    });
}

criterion_group!(benches, bench_count);
criterion_main!(benches);
