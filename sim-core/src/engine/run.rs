//! The run loop: pop the earliest event, advance the clock, hand the event
//! to the model, repeat until a stop condition holds.
//!
//! Invariants:
//! - The clock never goes backwards: an event may be scheduled at `now` but
//!   not before it (checked; a model bug, not user input).
//! - A run stops for exactly one [`Halt`]. Events after the horizon
//!   stay in the queue unprocessed; the clock is then set to the horizon.
//! - [`SimTime::MAX`] is the end of representable time, where saturating
//!   arithmetic puts every instant that would lie beyond it: an event
//!   there is never handled ([`Halt::EndOfTime`]), so a run cannot spin at
//!   an instant its clock can no longer leave.
//! - The loop itself allocates nothing; [`Model::progress`] is called every
//!   [`PROGRESS_EVERY_EVENTS`] events so that it costs nothing measurable.

use super::queue::EventQueue;
use super::time::{SimDuration, SimTime};

/// How often, in handled events, the progress callback runs.
pub const PROGRESS_EVERY_EVENTS: u64 = 1 << 16;

/// When to stop besides running out of events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StopCondition {
    /// Do not handle events after this instant.
    pub horizon: Option<SimTime>,
    /// Handle at most this many events.
    pub max_events: Option<u64>,
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Halt {
    /// No events left.
    NoEvents,
    /// The next event lies after the horizon.
    Horizon,
    /// The event budget is spent.
    EventBudget,
    /// The next event lies at the end of representable time
    /// ([`SimTime::MAX`]), where saturating arithmetic puts what would lie
    /// beyond it; it is not handled.
    EndOfTime,
}

/// What [`Model::progress`] sees.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub now: SimTime,
    pub events_handled: u64,
}

/// A component that reacts to events of type `E`.
pub trait Model<E> {
    /// Handles one event at `engine.now()`; may schedule further events.
    fn handle(&mut self, event: E, engine: &mut Engine<E>);

    /// Called every [`PROGRESS_EVERY_EVENTS`] events, e.g. to move a
    /// progress bar. Must not change the model's behaviour.
    fn progress(&mut self, _progress: Progress) {}
}

/// Clock plus pending events.
pub struct Engine<E> {
    queue: EventQueue<E>,
    now: SimTime,
    events_handled: u64,
}

impl<E: Copy> Engine<E> {
    pub fn new() -> Self {
        Self::with_capacity(1024)
    }

    pub fn with_capacity(pending_events: usize) -> Self {
        Engine {
            queue: EventQueue::with_capacity(pending_events),
            now: SimTime::ZERO,
            events_handled: 0,
        }
    }

    pub fn now(&self) -> SimTime {
        self.now
    }

    pub fn events_handled(&self) -> u64 {
        self.events_handled
    }

    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    /// Whether another event is due at the current instant, i.e. whether
    /// the event being handled is not the last one of its instant.
    pub fn more_due_now(&self) -> bool {
        self.queue.peek_time() == Some(self.now)
    }

    /// Schedules `event` at `time`, which must not be in the past.
    pub fn schedule_at(&mut self, time: SimTime, event: E) {
        assert!(
            time >= self.now,
            "event scheduled in the past: {time:?} < now {:?}",
            self.now
        );
        self.queue.push(time, event);
    }

    /// Schedules `event` after `delay` from now.
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        self.queue.push(self.now + delay, event);
    }

    /// Runs `model` until no events remain or `stop` says otherwise.
    pub fn run<M: Model<E>>(&mut self, model: &mut M, stop: StopCondition) -> Halt {
        let horizon = stop.horizon.unwrap_or(SimTime::MAX);
        let max_events = stop.max_events.unwrap_or(u64::MAX);
        loop {
            if self.events_handled >= max_events {
                return Halt::EventBudget;
            }
            match self.queue.peek_time() {
                None => return Halt::NoEvents,
                Some(t) if t > horizon => {
                    self.now = horizon;
                    return Halt::Horizon;
                }
                Some(SimTime::MAX) => {
                    self.now = SimTime::MAX;
                    return Halt::EndOfTime;
                }
                Some(_) => {}
            }
            let event = self.queue.pop().expect("peeked a non-empty queue");
            self.now = event.time;
            self.events_handled += 1;
            model.handle(event.payload, self);
            if self.events_handled.is_multiple_of(PROGRESS_EVERY_EVENTS) {
                model.progress(Progress {
                    now: self.now,
                    events_handled: self.events_handled,
                });
            }
        }
    }
}

impl<E: Copy> Default for Engine<E> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ticker that reschedules itself every second, `remaining` times.
    struct Ticker {
        remaining: u32,
        seen: Vec<u64>,
    }

    impl Model<()> for Ticker {
        fn handle(&mut self, _: (), engine: &mut Engine<()>) {
            self.seen.push(engine.now().as_ns());
            if self.remaining > 0 {
                self.remaining -= 1;
                engine.schedule_in(SimDuration::from_secs(1), ());
            }
        }
    }

    fn ticker(remaining: u32) -> (Engine<()>, Ticker) {
        let mut engine = Engine::new();
        engine.schedule_at(SimTime::ZERO, ());
        (
            engine,
            Ticker {
                remaining,
                seen: Vec::new(),
            },
        )
    }

    #[test]
    fn runs_until_no_work_is_left() {
        let (mut engine, mut model) = ticker(4);
        let reason = engine.run(&mut model, StopCondition::default());
        assert_eq!(reason, Halt::NoEvents);
        assert_eq!(model.seen.len(), 5);
        assert_eq!(engine.now(), SimTime::from_ns(4 * 1_000_000_000));
    }

    #[test]
    fn horizon_is_inclusive_and_sets_the_clock() {
        let (mut engine, mut model) = ticker(100);
        let horizon = SimTime::from_ns(2_500_000_000);
        let stop = StopCondition {
            horizon: Some(horizon),
            max_events: None,
        };
        assert_eq!(engine.run(&mut model, stop), Halt::Horizon);
        assert_eq!(model.seen, [0, 1_000_000_000, 2_000_000_000]);
        assert_eq!(engine.now(), horizon);
        assert_eq!(engine.pending_events(), 1, "the 3 s event stays queued");
    }

    #[test]
    fn event_budget_stops_after_exactly_that_many_events() {
        let (mut engine, mut model) = ticker(100);
        let stop = StopCondition {
            horizon: None,
            max_events: Some(7),
        };
        assert_eq!(engine.run(&mut model, stop), Halt::EventBudget);
        assert_eq!(engine.events_handled(), 7);
        assert_eq!(model.seen.len(), 7);
    }

    #[test]
    fn an_event_at_the_end_of_time_is_never_handled() {
        // A ticker whose next tick saturates at the end of time would
        // otherwise tick there forever.
        struct Stuck(u32);
        impl Model<()> for Stuck {
            fn handle(&mut self, _: (), engine: &mut Engine<()>) {
                self.0 += 1;
                engine.schedule_in(SimDuration::MAX, ());
            }
        }
        let mut engine = Engine::new();
        engine.schedule_at(SimTime::from_ns(5), ());
        let mut model = Stuck(0);
        assert_eq!(
            engine.run(&mut model, StopCondition::default()),
            Halt::EndOfTime
        );
        assert_eq!(model.0, 1);
        assert_eq!(engine.now(), SimTime::MAX);
        assert_eq!(engine.pending_events(), 1, "the event stays queued");
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_is_a_bug() {
        struct Backwards;
        impl Model<()> for Backwards {
            fn handle(&mut self, _: (), engine: &mut Engine<()>) {
                engine.schedule_at(SimTime::ZERO, ());
            }
        }
        let mut engine = Engine::new();
        engine.schedule_at(SimTime::from_ns(5), ());
        engine.run(&mut Backwards, StopCondition::default());
    }
}
