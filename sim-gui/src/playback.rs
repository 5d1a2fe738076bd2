//! The playhead: where in simulated time the views are, and how it moves.
//!
//! Invariant: `now_ns` stays within `[0, end_ns]` of the timeline it was
//! last clamped to; speed stays within [`MIN_SPEED`, `MAX_SPEED`].

use serde::{Deserialize, Serialize};

pub const MIN_SPEED: f64 = 1.0;
pub const MAX_SPEED: f64 = 1e6;

/// Play/pause, speed and position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Playback {
    #[serde(skip)]
    pub now_ns: u64,
    #[serde(skip)]
    pub playing: bool,
    /// Simulated seconds per wall-clock second.
    pub speed: f64,
}

impl Default for Playback {
    fn default() -> Self {
        Playback {
            now_ns: 0,
            playing: false,
            speed: 3_600.0,
        }
    }
}

impl Playback {
    /// Moves the playhead by `wall_s` of real time; stops at `end_ns`
    /// unless the run is still growing (`live`).
    pub fn advance(&mut self, wall_s: f64, end_ns: u64, live: bool) {
        if !self.playing {
            return;
        }
        let step_ns = (wall_s.max(0.0) * self.speed.clamp(MIN_SPEED, MAX_SPEED) * 1e9) as u64;
        self.now_ns = self.now_ns.saturating_add(step_ns);
        if self.now_ns >= end_ns {
            self.now_ns = end_ns;
            if !live {
                self.playing = false;
            }
        }
    }

    /// Starts playing; from the beginning if the playhead is at the end.
    pub fn play(&mut self, end_ns: u64) {
        if self.now_ns >= end_ns {
            self.now_ns = 0;
        }
        self.playing = true;
    }

    pub fn seek(&mut self, t_ns: u64, end_ns: u64) {
        self.now_ns = t_ns.min(end_ns);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_hour_per_second_for_half_a_second_is_half_an_hour() {
        let mut p = Playback {
            playing: true,
            ..Playback::default()
        };
        p.advance(0.5, u64::MAX, false);
        assert_eq!(p.now_ns, 1_800 * 1_000_000_000);
    }

    #[test]
    fn playback_stops_at_the_end_of_a_finished_run_but_follows_a_live_one() {
        let mut p = Playback {
            playing: true,
            speed: MAX_SPEED,
            ..Playback::default()
        };
        p.advance(1.0, 5_000_000_000, false);
        assert_eq!((p.now_ns, p.playing), (5_000_000_000, false));
        p.playing = true;
        p.advance(1.0, 6_000_000_000, true);
        assert_eq!((p.now_ns, p.playing), (6_000_000_000, true));
        p.play(6_000_000_000);
        assert_eq!(p.now_ns, 0, "play at the end starts over");
    }
}
