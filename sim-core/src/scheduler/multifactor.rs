//! The multifactor scheduler's bookkeeping: queued jobs' priorities and
//! the fair-share usage they are computed from.
//!
//! With `order: Multifactor` the scheduler keeps a [`Fairshare`] state:
//! the association tree (`fairshare.rs`) of the configured accounts plus
//! every (account, user) pair of the workload, each user association's
//! fair-share factor, and when usage was last decayed and reset. Running
//! jobs are charged their GPU-seconds at every recalculation and when they
//! end. Every `PriorityCalcPeriod`, [`Scheduler::recalculate_priorities`]
//! decays usage (resetting it when `PriorityUsageResetPeriod` says so),
//! recomputes the factors, then every queued job's priority
//! (`priority.rs`), and sorts the queue again. Between recalculations a
//! job keeps the priority it was queued with.
//!
//! Invariants:
//! - every job charges a user association of the tree: the scheduler maps
//!   each of the workload's (account, user) pairs to one when it is built,
//!   and refuses to queue a job whose pair is not among them (a job from
//!   another workload) instead of charging someone else;
//! - usage is charged once for every instant a job holds GPUs: each
//!   running job remembers up to when it was charged;
//! - without multifactor order there is no fair-share state: every
//!   priority is 0 and nothing is charged.

use super::fairshare::{AccountSpec, AccountTree, FairshareAlgorithm, UserAssoc};
use super::priority::{self, JobFactorsInput};
use super::{Queued, Scheduler};
use crate::engine::SimTime;
use crate::workload::{AccountId, Directory, SubmittedJob, UserId};

/// The fairshare state of a multifactor scheduler.
pub(super) struct Fairshare {
    tree: AccountTree,
    /// Every association of the workload, sorted, with its place in the
    /// tree.
    assoc_of: Vec<((AccountId, UserId), UserAssoc)>,
    factors: Vec<f64>,
    last_calc: SimTime,
    last_reset: SimTime,
}

impl Fairshare {
    /// The association tree of a multifactor run: the configured
    /// accounts, plus every (account, user) pair of the workload that the
    /// configuration does not list, with Slurm's default `Fairshare=1`.
    /// Errors: the tree's own (see [`AccountTree::new`]).
    pub(super) fn new(
        configured: &[AccountSpec],
        directory: &Directory,
        associations: &[(AccountId, UserId)],
    ) -> Result<Fairshare, String> {
        let mut accounts: Vec<AccountSpec> = configured.to_vec();
        for &(account, user) in associations {
            let account_name = directory.account_name(account);
            let user_name = directory.user_name(user);
            let index = match accounts.iter().position(|a| a.name == account_name) {
                Some(i) => i,
                None => {
                    accounts.push(AccountSpec {
                        name: account_name.to_string(),
                        parent: None,
                        shares: 1,
                        users: Vec::new(),
                    });
                    accounts.len() - 1
                }
            };
            if !accounts[index].users.iter().any(|(u, _)| u == user_name) {
                accounts[index].users.push((user_name.to_string(), 1));
            }
        }
        let tree = AccountTree::new(&accounts)?;
        let mut assoc_of: Vec<((AccountId, UserId), UserAssoc)> = associations
            .iter()
            .map(|&(account, user)| {
                let assoc = tree
                    .user_assoc(directory.account_name(account), directory.user_name(user))
                    .expect("every association joined the tree above");
                ((account, user), assoc)
            })
            .collect();
        assoc_of.sort_by_key(|&(pair, _)| pair);
        assoc_of.dedup_by_key(|&mut (pair, _)| pair);
        let factors = vec![1.0; tree.user_count()];
        Ok(Fairshare {
            tree,
            assoc_of,
            factors,
            last_calc: SimTime::ZERO,
            last_reset: SimTime::ZERO,
        })
    }

    /// The user association of an (account, user) pair of the workload.
    fn assoc(&self, pair: (AccountId, UserId)) -> Option<UserAssoc> {
        self.assoc_of
            .binary_search_by_key(&pair, |&(p, _)| p)
            .ok()
            .map(|i| self.assoc_of[i].1)
    }
}

impl Scheduler {
    /// Charges usage and decays it (every `PriorityCalcPeriod`), and
    /// recomputes fairshare factors and priorities. Only multifactor
    /// scheduling needs it.
    pub fn recalculate_priorities(&mut self, now: SimTime) {
        let Some(mut fs) = self.fairshare.take() else {
            return;
        };
        let params = &self.config.priority;
        fs.tree
            .decay(now.saturating_since(fs.last_calc), params.decay_half_life);
        fs.last_calc = now;
        if let Some(period) = params.usage_reset.period()
            && now.saturating_since(fs.last_reset) >= period
        {
            fs.tree.reset_usage();
            fs.last_reset = now;
        }
        self.fairshare = Some(fs);
        for slot in 0..self.running.len() {
            let r = &self.running[slot];
            if r.active {
                let (assoc, gpus, from) = (r.assoc, r.gpus, r.charged_until);
                self.charge(assoc, gpus, from, now);
                self.running[slot].charged_until = now;
            }
        }
        if let Some(fs) = &mut self.fairshare {
            fs.factors = match self.config.priority.fairshare {
                FairshareAlgorithm::Classic => fs.tree.classic_factors(),
                FairshareAlgorithm::FairTree => fs.tree.fair_tree_factors(),
            };
        }
        let mut queue = std::mem::take(&mut self.queue);
        for q in &mut queue {
            q.priority = self.priority_of(q, now);
        }
        queue.make_contiguous().sort_by_key(|q| self.key(q));
        self.queue_gpus.clear();
        self.queue_gpus
            .extend(queue.iter().map(|q| q.ticket.request.total_gpus()));
        self.queue = queue;
    }

    /// The user association `ticket` charges; `None` without multifactor
    /// order, which charges nobody.
    ///
    /// # Panics
    ///
    /// If the job's (account, user) pair is not one of the associations
    /// the scheduler was built with: the job comes from another workload,
    /// and charging it to some other association would be silently wrong.
    pub(super) fn assoc_of(&self, ticket: &SubmittedJob) -> Option<UserAssoc> {
        let fs = self.fairshare.as_ref()?;
        let pair = (ticket.account, ticket.user);
        let assoc = fs.assoc(pair);
        assert!(
            assoc.is_some(),
            "a job of account {:?} and user {:?} was queued, but that pair is not among the \
             associations the scheduler was built with; build the scheduler from the \
             workload the job comes from",
            ticket.account,
            ticket.user,
        );
        assoc
    }

    /// Charges `assoc` the GPU-seconds of `gpus` GPUs held from `from` to
    /// `now`.
    pub(super) fn charge(
        &mut self,
        assoc: Option<UserAssoc>,
        gpus: u64,
        from: SimTime,
        now: SimTime,
    ) {
        if let (Some(fs), Some(assoc)) = (&mut self.fairshare, assoc) {
            let gpu_seconds = gpus as f64 * now.saturating_since(from).as_secs_f64();
            if gpu_seconds > 0.0 {
                fs.tree.charge(assoc, gpu_seconds);
            }
        }
    }

    /// Usage charged so far to the association of `ticket` (tests).
    #[cfg(test)]
    pub(super) fn usage_of(&self, ticket: &SubmittedJob) -> f64 {
        let fs = self.fairshare.as_ref().expect("multifactor order");
        fs.tree
            .user_raw_usage(self.assoc_of(ticket).expect("known"))
    }

    pub(super) fn priority_of(&self, q: &Queued, now: SimTime) -> u32 {
        let Some(fs) = &self.fairshare else {
            return 0;
        };
        let partition = &self.config.partitions[q.ticket.partition as usize];
        let qos = &self.config.qos[q.ticket.qos as usize];
        let fairshare = q.assoc.and_then(|a| fs.factors.get(a.0 as usize));
        priority::priority(
            &JobFactorsInput {
                age: now.saturating_since(q.eligible),
                gpus: q.ticket.request.total_gpus(),
                cluster_gpus: self.cluster_gpus,
                nodes: q.ticket.request.min_nodes(self.max_node_gpus),
                cluster_nodes: self.cluster_nodes,
                time_limit: q.ticket.time_limit,
                partition_job_factor: partition.priority_job_factor,
                max_partition_job_factor: self.max_partition_factor,
                qos_priority: qos.priority,
                max_qos_priority: self.max_qos_priority,
                fairshare: fairshare.copied().unwrap_or(1.0),
                nice: q.ticket.nice,
                ..JobFactorsInput::default()
            },
            &self.config.priority.weights,
        )
    }
}
