//! Power, energy and cost of one run, kept as jobs start, change their
//! allocation and stop.
//!
//! Each running job holds a *segment*: from when its allocation last
//! changed, the power it draws (its GPUs' share of their nodes' idle power
//! plus what it adds at its activity) and the dollars per nanosecond its
//! GPUs cost. Closing a segment charges the job its energy and cost; the
//! cluster's IT power (for the time series) and each group's power are
//! kept alongside and integrated at every change.
//!
//! Invariants:
//! - energy is integer milliwatt-nanoseconds: the cluster's energy is
//!   exactly the integral of its IT power series;
//! - the jobs' costs plus the idle cost equal the cluster's cost, computed
//!   independently from each group's billed GPU-time and energy (to
//!   rounding; `tests/it/cost.rs` checks it to the cent);
//! - a job's power is fixed from its allocation and activity at the start
//!   of a segment; nothing here allocates once every slot has been used.

use crate::cost::{Billing, CostSpec, GroupRates, NS_PER_YEAR};
use crate::engine::SimTime;
use crate::hardware::Cluster;
use crate::metrics::{CostGroup, CostSummary, JobRecord, PowerSummary};
use crate::power::{PowerModel, PowerSpec};
use crate::scheduler::NodeGpus;

/// A running job's current segment.
#[derive(Clone, Debug, Default)]
struct Segment {
    open: bool,
    /// The job's index.
    job: usize,
    since: SimTime,
    /// What its GPUs add over idle, in IT mW.
    busy_mw: u64,
    /// Its GPUs' idle share (node idle power per GPU), in IT mW.
    idle_mw: u64,
    /// Dollars per ns of its GPUs' fixed cost.
    fixed_per_ns: f64,
    /// Dollars per ns of its energy.
    energy_per_ns: f64,
    /// Per group it touches: (group, GPUs, what they add in mW) (reused).
    groups: Vec<(u32, u64, u64)>,
}

pub(super) struct Ledger {
    model: PowerModel,
    /// Per group: the rates, when cost is reported.
    rates: Option<Vec<GroupRates>>,
    billing: Vec<Billing>,
    group_gpus: Vec<u64>,
    group_nodes: Vec<u32>,
    /// Per group: one node's capital (0 in the cloud).
    node_capital: Vec<f64>,
    /// Network and storage capital.
    shared_capital: f64,
    /// Per group: its nodes' idle IT power per GPU (mW, fractional).
    idle_per_gpu_mw: Vec<f64>,
    /// The switches' power per GPU of the cluster (mW, fractional).
    switch_per_gpu_mw: f64,
    segments: Vec<Segment>,
    /// Activity of each job (by job index) when it last started training.
    activity: Vec<f32>,
    /// IT power now, and per group (nodes only); the highest level held
    /// for a positive time.
    it_mw: u64,
    group_mw: Vec<u64>,
    group_energy: Vec<u128>,
    last: SimTime,
    energy_mw_ns: u128,
    peak_it_mw: u64,
    /// Per group: busy GPU-ns.
    busy_gpu_ns: Vec<u128>,
    /// Per group billed only while held (on demand, spot): its nodes not
    /// held now (lost to an interruption, not provisioned), and their
    /// GPU-ns so far.
    group_down_gpus: Vec<u64>,
    group_down_gpu_ns: Vec<u128>,
    /// Per node: it is not held now (cloud groups).
    node_down: Vec<bool>,
    jobs_energy_mw_ns: u128,
    jobs_usd: f64,
}

impl Ledger {
    pub(super) fn new(
        spec: &PowerSpec,
        cost: Option<&CostSpec>,
        cluster: &Cluster,
        fabric: Option<&crate::fabric::Fabric>,
    ) -> Self {
        let model = PowerModel::new(spec.clone(), cluster, fabric);
        let groups = cluster.groups.len();
        let group_gpus: Vec<u64> = (cluster.groups.iter())
            .map(|g| u64::from(g.node_count) * u64::from(g.gpus_per_node))
            .collect();
        let idle_per_gpu_mw = (model.groups.iter())
            .map(|g| g.idle_node_mw as f64 / f64::from(g.gpus_per_node.max(1)))
            .collect();
        let group_mw: Vec<u64> = (0..groups)
            .map(|g| model.groups[g].idle_node_mw * u64::from(cluster.groups[g].node_count))
            .collect();
        let total_gpus = cluster.total_gpus().max(1);
        Ledger {
            rates: cost.map(|c| c.rates(cluster, spec.pue)),
            billing: cost.map_or_else(|| vec![Billing::OnPremise; groups], |c| c.billing.clone()),
            group_gpus,
            group_nodes: cluster.groups.iter().map(|g| g.node_count).collect(),
            node_capital: (0..groups)
                .map(|g| {
                    cost.and_then(|c| c.node_capital[g])
                        .map_or(0.0, crate::units::Usd::as_f64)
                })
                .collect(),
            shared_capital: cost.map_or(0.0, |c| {
                c.network_capital.as_f64() + c.storage_capital.as_f64()
            }),
            idle_per_gpu_mw,
            switch_per_gpu_mw: model.switches_mw as f64 / total_gpus as f64,
            segments: Vec::new(),
            activity: Vec::new(),
            it_mw: model.idle_it_mw(),
            group_mw,
            group_energy: vec![0; groups],
            last: SimTime::ZERO,
            energy_mw_ns: 0,
            peak_it_mw: 0,
            busy_gpu_ns: vec![0; groups],
            group_down_gpus: vec![0; groups],
            group_down_gpu_ns: vec![0; groups],
            node_down: vec![false; cluster.node_count()],
            jobs_energy_mw_ns: 0,
            jobs_usd: 0.0,
            model,
        }
    }

    /// The power model the ledger runs on.
    pub(super) fn model(&self) -> &PowerModel {
        &self.model
    }

    /// IT power now, for the time series.
    pub(super) fn it_mw(&self) -> u64 {
        self.it_mw
    }

    /// Integrates power up to `now` (call before any change at `now`).
    fn advance(&mut self, now: SimTime) {
        let dt = u128::from(now.saturating_since(self.last).as_ns());
        if dt > 0 {
            // The peak of the power series: a level held for some time.
            self.peak_it_mw = self.peak_it_mw.max(self.it_mw);
            self.energy_mw_ns += u128::from(self.it_mw) * dt;
            for (e, &mw) in self.group_energy.iter_mut().zip(&self.group_mw) {
                *e += u128::from(mw) * dt;
            }
            for (d, &gpus) in self.group_down_gpu_ns.iter_mut().zip(&self.group_down_gpus) {
                *d += u128::from(gpus) * dt;
            }
            self.last = now;
        }
    }

    /// `node` is out of service from `now`: a node of a group billed only
    /// while held is no longer held (not billed, drawing nothing); others
    /// keep drawing their idle power and being paid for.
    pub(super) fn node_down(&mut self, node: u32, now: SimTime) {
        self.set_held(node, false, now);
    }

    /// `node` is back in service from `now`.
    pub(super) fn node_up(&mut self, node: u32, now: SimTime) {
        self.set_held(node, true, now);
    }

    fn set_held(&mut self, node: u32, held: bool, now: SimTime) {
        let g = self.model.group_of(node) as usize;
        if self.billing[g].paid_when_idle() || self.node_down[node as usize] != held {
            return;
        }
        self.advance(now);
        self.node_down[node as usize] = !held;
        let idle = self.model.groups[g].idle_node_mw;
        let gpus = u64::from(self.model.groups[g].gpus_per_node);
        if held {
            self.group_down_gpus[g] -= gpus;
            self.group_mw[g] += idle;
            self.it_mw += idle;
        } else {
            self.group_down_gpus[g] += gpus;
            self.group_mw[g] -= idle;
            self.it_mw -= idle;
        }
    }

    /// Records a training job's activity (its step's compute share).
    pub(super) fn set_activity(&mut self, job: usize, activity: f64) {
        if self.activity.len() <= job {
            self.activity.resize(job + 1, f32::NAN);
        }
        self.activity[job] = activity as f32;
    }

    /// The activity of `job`: its training step's compute share, or the
    /// plain jobs' activity.
    fn activity_of(&self, job: usize, training: bool) -> f64 {
        match self.activity.get(job) {
            Some(a) if training && !a.is_nan() => f64::from(*a),
            _ if training => 1.0,
            _ => self.model.spec.job_activity,
        }
    }

    /// A segment of the running job in `slot` starts at `now` on what it
    /// holds.
    pub(super) fn open_running(
        &mut self,
        slot: crate::scheduler::SlotRef,
        running: &crate::scheduler::RunningJob,
        training: bool,
        now: SimTime,
    ) {
        let job = running.job as usize;
        self.open(slot.slot(), job, training, &running.allocation, now);
    }

    /// A segment of the job in `slot` starts at `now` on `allocation`.
    fn open(
        &mut self,
        slot: u32,
        job: usize,
        training: bool,
        allocation: &[NodeGpus],
        now: SimTime,
    ) {
        self.advance(now);
        let activity = self.activity_of(job, training);
        if self.segments.len() <= slot as usize {
            self.segments
                .resize_with(slot as usize + 1, Segment::default);
        }
        let mut seg = std::mem::take(&mut self.segments[slot as usize]);
        seg.groups.clear();
        seg.open = true;
        seg.job = job;
        seg.since = now;
        seg.busy_mw = 0;
        seg.idle_mw = 0;
        seg.fixed_per_ns = 0.0;
        seg.energy_per_ns = 0.0;
        let mut idle_f = 0.0;
        for part in allocation {
            let gpus = part.mask.count_ones();
            let g = self.model.group_of(part.node) as usize;
            let busy = self.model.groups[g].busy_mw(gpus, activity);
            seg.busy_mw += busy;
            self.group_mw[g] += busy;
            let idle = f64::from(gpus) * self.idle_per_gpu_mw[g];
            idle_f += idle;
            if let Some(rates) = &self.rates {
                let r = &rates[g];
                seg.fixed_per_ns += f64::from(gpus) * r.fixed_per_gpu_ns;
                seg.energy_per_ns += r.energy_per_mw_ns
                    * (busy as f64 + idle + f64::from(gpus) * self.switch_per_gpu_mw);
            }
            match seg.groups.iter_mut().find(|(grp, _, _)| *grp == g as u32) {
                Some((_, n, mw)) => {
                    *n += u64::from(gpus);
                    *mw += busy;
                }
                None => seg.groups.push((g as u32, u64::from(gpus), busy)),
            }
        }
        seg.idle_mw = idle_f.round() as u64;
        self.it_mw += seg.busy_mw;
        self.segments[slot as usize] = seg;
    }

    /// Closes the segment of `slot` at `now`, charging its job's record.
    pub(super) fn close(&mut self, slot: u32, now: SimTime, jobs: &mut [JobRecord]) {
        self.advance(now);
        let Some(seg) = self.segments.get_mut(slot as usize).filter(|s| s.open) else {
            return;
        };
        let record = &mut jobs[seg.job];
        seg.open = false;
        let dt = now.saturating_since(seg.since).as_ns();
        let energy = u128::from(seg.busy_mw + seg.idle_mw) * u128::from(dt);
        let usd = (seg.fixed_per_ns + seg.energy_per_ns) * dt as f64;
        record.energy_mw_ns += energy;
        record.cost_usd += usd;
        self.jobs_energy_mw_ns += energy;
        self.jobs_usd += usd;
        for &(g, gpus, busy) in &seg.groups {
            self.busy_gpu_ns[g as usize] += u128::from(gpus) * u128::from(dt);
            self.group_mw[g as usize] -= busy;
        }
        self.it_mw -= seg.busy_mw;
    }

    /// Closes every open segment at `end` (jobs still running when the run
    /// stops) and sums up.
    pub(super) fn finish(
        &mut self,
        end: SimTime,
        jobs: &mut [JobRecord],
    ) -> (PowerSummary, Option<CostSummary>) {
        for slot in 0..self.segments.len() {
            self.close(slot as u32, end, jobs);
        }
        self.advance(end);
        let end_ns = end.as_ns();
        let to_kwh = |mw_ns: u128| mw_ns as f64 / 3.6e18;
        let pue = self.model.spec.pue;
        let it_kwh = to_kwh(self.energy_mw_ns);
        let hours = end_ns as f64 / 3.6e12;
        let power = PowerSummary {
            pue,
            it_energy_kwh: it_kwh,
            facility_energy_kwh: it_kwh * pue,
            jobs_energy_kwh: to_kwh(self.jobs_energy_mw_ns),
            idle_energy_kwh: to_kwh(
                self.energy_mw_ns - self.jobs_energy_mw_ns.min(self.energy_mw_ns),
            ),
            mean_facility_kw: if hours > 0.0 {
                it_kwh * pue / hours
            } else {
                0.0
            },
            peak_facility_kw: self.model.facility_mw(self.peak_it_mw) as f64 / 1e6,
            idle_facility_kw: self.model.facility_mw(self.model.idle_it_mw()) as f64 / 1e6,
            switches_kw: self.model.switches_mw as f64 / 1e6,
            cap_kw: self.model.spec.cap.map(|c| c.as_milliwatts() as f64 / 1e6),
            cap_held_gpu_hours: 0.0,
            cap_refusals: 0,
        };
        let cost = self.rates.as_ref().map(|rates| {
            let mut groups = Vec::new();
            let (mut total, mut idle, mut shared_depreciation) = (0.0, 0.0, 0.0);
            for (g, r) in rates.iter().enumerate() {
                let gpus = self.group_gpus[g];
                let billed = u128::from(gpus) * u128::from(end_ns) - self.group_down_gpu_ns[g];
                let busy = self.busy_gpu_ns[g];
                let idle_gpu_ns = billed.saturating_sub(busy) as f64;
                let switch_mw_ns = self.switch_per_gpu_mw * billed as f64;
                let energy_mw_ns = self.group_energy[g] as f64 + switch_mw_ns;
                let group_total =
                    r.fixed_per_gpu_ns * billed as f64 + r.energy_per_mw_ns * energy_mw_ns;
                let group_idle = idle_gpu_ns
                    * (r.fixed_per_gpu_ns
                        + r.energy_per_mw_ns * (self.idle_per_gpu_mw[g] + self.switch_per_gpu_mw));
                total += group_total;
                idle += group_idle;
                groups.push(CostGroup {
                    group: g as u32,
                    billing: self.billing[g].name(),
                    gpus,
                    billed_gpu_hours: billed as f64 / 3.6e12,
                    busy_gpu_hours: busy as f64 / 3.6e12,
                    fixed_usd: r.fixed_per_gpu_ns * billed as f64,
                    energy_usd: r.energy_per_mw_ns * energy_mw_ns,
                    usd: group_total,
                    node_year_usd: r.node_year.total(),
                    capital_usd: self.node_capital[g] * f64::from(self.group_nodes[g]),
                    depreciation_usd: r.node_year.depreciation * end_ns as f64 / NS_PER_YEAR
                        * f64::from(self.group_nodes[g]),
                });
                shared_depreciation += r.shared_depreciation_per_gpu_ns * billed as f64;
            }
            let busy_hours: f64 = self.busy_gpu_ns.iter().map(|&b| b as f64 / 3.6e12).sum();
            CostSummary {
                total_usd: total,
                jobs_usd: self.jobs_usd,
                idle_usd: idle,
                per_delivered_gpu_hour_usd: if busy_hours > 0.0 {
                    total / busy_hours
                } else {
                    0.0
                },
                simulated_years: end_ns as f64 / NS_PER_YEAR,
                shared_capital_usd: self.shared_capital,
                shared_depreciation_usd: shared_depreciation,
                groups,
                accounts: Vec::new(),
            }
        });
        (power, cost)
    }
}
