//! Node states over time, from a trace's `node_down`, `node_drain` and
//! `node_up` records: in service, DRAINING (DRAINED once no job is left on
//! it) or DOWN, each with the cause the trace gave, and the GPUs that are
//! down or held out of service at every instant.
//!
//! Invariants:
//! - `events` are in non-decreasing time (the trace's own order), and
//!   `by_node[n]` lists node `n`'s events in that order, so the state of a
//!   node at any instant is one binary search;
//! - `down_gpus` and `draining_gpus` are always the sums of every node's
//!   [`NodeTracker::contribution`], kept by subtracting a node's share
//!   before it changes and adding it back after: as sim-core's time series
//!   counts them, a DOWN node's GPUs are down (busy or not) and only the
//!   idle GPUs of a DRAINING or DRAINED node are draining.
//!
//! Transitions are taken as the trace states them: a node already down
//! may go down again (a second failure; the newer cause is shown) or be
//! set draining, and `node_up` of a node in service is harmless (it changes
//! nothing). Nothing here refuses a record; the timeline refuses a job
//! starting on a node that is not in service.

/// What a node can take, as the trace says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NodeState {
    /// IDLE, MIXED or ALLOCATED, by its jobs.
    #[default]
    InService,
    /// No new work; DRAINED once its jobs have left.
    Draining,
    /// Failed, under repair or in maintenance.
    Down,
}

impl NodeState {
    /// Slurm's name for a node in this state with `busy` of its `gpus`
    /// GPUs held by jobs (`sinfo`'s STATE column).
    pub fn slurm_name(self, busy: u32, gpus: u32) -> &'static str {
        match self {
            NodeState::Down => "DOWN",
            NodeState::Draining if busy == 0 => "DRAINED",
            NodeState::Draining => "DRAINING",
            NodeState::InService if busy == 0 => "IDLE",
            NodeState::InService if busy >= gpus => "ALLOCATED",
            NodeState::InService => "MIXED",
        }
    }
}

/// One node state change.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeEvent {
    pub t_ns: u64,
    pub node: u32,
    pub state: NodeState,
    /// Why it went down or is drained; `None` for `node_up`.
    pub cause: Option<String>,
}

/// Every node's state as the trace goes, and its history.
#[derive(Clone, Debug)]
pub struct NodeTracker {
    events: Vec<NodeEvent>,
    by_node: Vec<Vec<u32>>,
    gpus: Vec<u32>,
    state: Vec<NodeState>,
    busy: Vec<u32>,
    pub down_gpus: u32,
    pub draining_gpus: u32,
}

impl NodeTracker {
    /// A cluster of nodes with these GPU counts, all in service and idle.
    pub fn new(gpus: Vec<u32>) -> Self {
        let n = gpus.len();
        NodeTracker {
            events: Vec::new(),
            by_node: vec![Vec::new(); n],
            gpus,
            state: vec![NodeState::InService; n],
            busy: vec![0; n],
            down_gpus: 0,
            draining_gpus: 0,
        }
    }

    /// Every node state change so far, in time order.
    pub fn events(&self) -> &[NodeEvent] {
        &self.events
    }

    /// The node's state now (after everything read so far).
    pub fn state(&self, node: u32) -> NodeState {
        self.state[node as usize]
    }

    /// Records a change; returns its index in [`NodeTracker::events`].
    pub fn set(&mut self, event: NodeEvent) -> u32 {
        let node = event.node as usize;
        self.update(node, |t| t.state[node] = event.state);
        let index = self.events.len() as u32;
        self.by_node[node].push(index);
        self.events.push(event);
        index
    }

    /// `count` GPUs of `node` were taken (positive) or freed (negative).
    pub fn add_busy(&mut self, node: u32, count: i32) {
        let node = node as usize;
        self.update(node, |t| {
            t.busy[node] = t.busy[node].saturating_add_signed(count);
        });
    }

    fn update(&mut self, node: usize, change: impl FnOnce(&mut Self)) {
        let (down, draining) = self.contribution(node);
        self.down_gpus -= down;
        self.draining_gpus -= draining;
        change(self);
        let (down, draining) = self.contribution(node);
        self.down_gpus += down;
        self.draining_gpus += draining;
    }

    /// The node's share of `(down_gpus, draining_gpus)` now.
    fn contribution(&self, node: usize) -> (u32, u32) {
        let gpus = self.gpus[node];
        match self.state[node] {
            NodeState::InService => (0, 0),
            NodeState::Draining => (0, gpus.saturating_sub(self.busy[node])),
            NodeState::Down => (gpus, 0),
        }
    }

    /// The node's state just after every change at or before `t_ns`, and
    /// the event that set it (`None` if it never changed).
    pub fn state_at(&self, node: u32, t_ns: u64) -> (NodeState, Option<&NodeEvent>) {
        let mine = &self.by_node[node as usize];
        let applied = mine.partition_point(|&e| self.events[e as usize].t_ns <= t_ns);
        match applied.checked_sub(1) {
            Some(i) => {
                let event = &self.events[mine[i] as usize];
                (event.state, Some(event))
            }
            None => (NodeState::InService, None),
        }
    }

    /// Every node's state just after every change at or before `t_ns`,
    /// written into `states` (indexed by node).
    pub fn states_at(&self, t_ns: u64, states: &mut Vec<NodeState>) {
        states.clear();
        states.resize(self.gpus.len(), NodeState::InService);
        let applied = self.events.partition_point(|e| e.t_ns <= t_ns);
        for event in &self.events[..applied] {
            states[event.node as usize] = event.state;
        }
    }

    /// How many times the node went down in `[0, t_ns]`.
    pub fn downs_until(&self, node: u32, t_ns: u64) -> usize {
        self.by_node[node as usize]
            .iter()
            .map(|&e| &self.events[e as usize])
            .take_while(|e| e.t_ns <= t_ns)
            .filter(|e| e.state == NodeState::Down)
            .count()
    }
}
