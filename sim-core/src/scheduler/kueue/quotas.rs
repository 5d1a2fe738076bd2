//! The quota arithmetic of a cohort: what a ClusterQueue may use of a
//! flavor given its nominal quota, its borrowing limit, and what the other
//! members of its cohort lend (their quota above their guaranteed part,
//! `nominal - lendingLimit`, that they do not use).
//!
//! Invariants: usage beyond a ClusterQueue's guaranteed quota never
//! exceeds what its cohort lends; a ClusterQueue never uses more than its
//! nominal quota plus its borrowing limit.

use super::{ClusterQueueId, FlavorId, KueueConfig};

/// A ClusterQueue's quota for one flavor, as the arithmetic uses it.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Quota {
    pub(super) listed: bool,
    pub(super) nominal: i64,
    pub(super) borrowing_limit: Option<i64>,
    /// `nominal - lendingLimit` (0 without one): never lent.
    pub(super) guaranteed: i64,
}

/// Quotas of every (ClusterQueue, flavor) and the cohorts' members.
#[derive(Clone, Debug)]
pub(super) struct Quotas {
    pub(super) flavors: usize,
    pub(super) quota: Vec<Quota>,
    pub(super) cohort_of: Vec<Option<u16>>,
    pub(super) members: Vec<Vec<ClusterQueueId>>,
}

impl Quotas {
    pub(super) fn new(config: &KueueConfig) -> Self {
        let flavors = config.flavors.len();
        let mut quota = vec![Quota::default(); config.cluster_queues.len() * flavors];
        let mut members = vec![Vec::new(); config.cohorts.len()];
        for (c, cq) in config.cluster_queues.iter().enumerate() {
            for fq in &cq.flavors {
                let nominal = fq.nominal_quota as i64;
                quota[c * flavors + usize::from(fq.flavor)] = Quota {
                    listed: true,
                    nominal,
                    borrowing_limit: cq.cohort.and(fq.borrowing_limit).map(|b| b as i64),
                    guaranteed: (cq.cohort.and(fq.lending_limit))
                        .map_or(0, |l| (nominal - l as i64).max(0)),
                };
            }
            if let Some(cohort) = cq.cohort {
                members[usize::from(cohort)].push(c as ClusterQueueId);
            }
        }
        Quotas {
            flavors,
            quota,
            cohort_of: config.cluster_queues.iter().map(|q| q.cohort).collect(),
            members,
        }
    }

    pub(super) fn at(&self, cq: ClusterQueueId, f: FlavorId) -> usize {
        usize::from(cq) * self.flavors + usize::from(f)
    }

    pub(super) fn q(&self, cq: ClusterQueueId, f: FlavorId) -> &Quota {
        &self.quota[self.at(cq, f)]
    }

    /// What the cohort's members lend of `f` (the cohort's
    /// `SubtreeQuota`).
    pub(super) fn lent(&self, cohort: u16, f: FlavorId) -> i64 {
        (self.members[usize::from(cohort)].iter())
            .map(|&m| self.q(m, f))
            .filter(|q| q.listed)
            .map(|q| q.nominal - q.guaranteed)
            .sum()
    }

    /// The usage charged to the cohort: each member's beyond its
    /// guaranteed quota (the cohort's `Usage`).
    pub(super) fn cohort_used(&self, usage: &[i64], cohort: u16, f: FlavorId) -> i64 {
        (self.members[usize::from(cohort)].iter())
            .map(|&m| self.at(m, f))
            .filter(|&i| self.quota[i].listed)
            .map(|i| (usage[i] - self.quota[i].guaranteed).max(0))
            .sum()
    }

    /// Kueue's `Available`: what the ClusterQueue may still use of `f`,
    /// from its guaranteed quota and the cohort's, capped by its
    /// borrowing limit; never negative.
    pub(super) fn available(&self, usage: &[i64], cq: ClusterQueueId, f: FlavorId) -> i64 {
        let i = self.at(cq, f);
        let q = &self.quota[i];
        if !q.listed {
            return 0;
        }
        let Some(cohort) = self.cohort_of[usize::from(cq)] else {
            return (q.nominal - usage[i]).max(0);
        };
        let (lent, used) = (self.lent(cohort, f), self.cohort_used(usage, cohort, f));
        let mut parent = lent - used;
        if let Some(limit) = q.borrowing_limit {
            let stored = q.nominal - q.guaranteed;
            let used_in_parent = (usage[i] - q.guaranteed).max(0);
            parent = parent.min(stored - used_in_parent + limit);
        }
        ((q.guaranteed - usage[i]).max(0) + parent).max(0)
    }

    /// Kueue's `PotentialAvailable`: the largest request the ClusterQueue
    /// could ever admit in `f`.
    pub(super) fn potential(&self, cq: ClusterQueueId, f: FlavorId) -> i64 {
        let q = self.q(cq, f);
        if !q.listed {
            return 0;
        }
        let Some(cohort) = self.cohort_of[usize::from(cq)] else {
            return q.nominal;
        };
        let mut most = q.guaranteed + self.lent(cohort, f);
        if let Some(limit) = q.borrowing_limit {
            most = most.min(q.nominal + limit);
        }
        most
    }

    /// Whether using `extra` more would take the ClusterQueue past its
    /// nominal quota (`BorrowingWith`; only in a cohort).
    pub(super) fn borrowing_with(
        &self,
        usage: &[i64],
        cq: ClusterQueueId,
        f: FlavorId,
        extra: i64,
    ) -> bool {
        let i = self.at(cq, f);
        self.cohort_of[usize::from(cq)].is_some() && usage[i] + extra > self.quota[i].nominal
    }
}
