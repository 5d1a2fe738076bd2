//! Raw engine throughput: the classic "hold" model (Vaucher & Duval 1975;
//! Jones 1986, "An empirical comparison of priority-queue and event-set
//! implementations", CACM 29(4)): keep N events pending; repeatedly remove
//! the earliest and insert one at (its time + a random increment). Here
//! N = 10,000, the size the foundation issue asks about.
//!
//! Two views: the bare `EventQueue` (pop + push), and the same model run
//! through `Engine::run`, which adds clock and stop-condition bookkeeping.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use sim_core::engine::{
    Engine, EventQueue, Model, RngStreams, SimDuration, SimTime, StopCondition,
};

const PENDING: usize = 10_000;
const HOLDS: u64 = 1_000_000;

/// Exponential increments (mean 1 ms), precomputed so the benchmark
/// measures the queue, not the random number generator.
fn increments() -> Vec<u64> {
    use rand::RngExt;
    let mut rng = RngStreams::new(1).stream("bench.increments");
    (0..4096)
        .map(|_| {
            let u: f64 = rng.random();
            (-(1.0 - u).ln() * 1e6) as u64
        })
        .collect()
}

fn filled_queue(incs: &[u64]) -> EventQueue<u32> {
    let mut q = EventQueue::with_capacity(PENDING + 1);
    for i in 0..PENDING {
        q.push(SimTime::from_ns(incs[i % incs.len()]), i as u32);
    }
    q
}

struct Hold<'a> {
    incs: &'a [u64],
    next: usize,
}

impl Model<u32> for Hold<'_> {
    fn handle(&mut self, event: u32, engine: &mut Engine<u32>) {
        let inc = self.incs[self.next & (4096 - 1)];
        self.next += 1;
        engine.schedule_in(SimDuration::from_ns(inc), event);
    }
}

fn bench_engine(c: &mut Criterion) {
    let incs = increments();
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(HOLDS));
    group.bench_function("queue_hold_10k_pending", |b| {
        b.iter_batched_ref(
            || filled_queue(&incs),
            |q| {
                for i in 0..HOLDS as usize {
                    let e = q.pop().expect("never empty");
                    q.push(
                        SimTime::from_ns(e.time.as_ns() + incs[i & (4096 - 1)]),
                        e.payload,
                    );
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("engine_run_hold_10k_pending", |b| {
        b.iter_batched_ref(
            || {
                let mut engine = Engine::with_capacity(PENDING + 1);
                for i in 0..PENDING {
                    engine.schedule_at(SimTime::from_ns(incs[i % incs.len()]), i as u32);
                }
                engine
            },
            |engine| {
                let mut model = Hold {
                    incs: &incs,
                    next: 0,
                };
                let stop = StopCondition {
                    horizon: None,
                    max_events: Some(HOLDS),
                };
                engine.run(&mut model, stop)
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
