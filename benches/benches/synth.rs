//! Synth benchmarks: build + synthesize in process. Numbers go to BENCHMARKS.md.

// criterion_group!/criterion_main! generate functions that cannot carry docs.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use stackforge_benches::{many_stacks, single_stack};

fn synth(c: &mut Criterion) {
    let mut g = c.benchmark_group("synth");
    for n in [50usize, 500] {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("one-stack", n), &n, |b, &n| {
            b.iter(|| single_stack(n).synth().expect("valid"))
        });
    }
    g.sample_size(20);
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("25-stacks-10000", |b| {
        b.iter(|| many_stacks(25, 400).synth().expect("valid"))
    });
    g.finish();

    let mut g = c.benchmark_group("flagship");
    g.bench_function("fargate-app", |b| {
        b.iter(|| stackforge_benches::flagship().synth().expect("valid"))
    });
    g.finish();
}

criterion_group!(benches, synth);
criterion_main!(benches);
