//! clustersim-gui: watch, scrub and compare simulated GPU clusters.
//!
//! The viewer is a thin egui layer over sim-core's public API. Data flows
//! one way: a [`session::Session`] runs a scenario (or reads a trace) on a
//! background thread into a [`timeline::Timeline`]; the [`app::ViewerApp`]
//! draws the timeline at the [`playback::Playback`] time through the
//! panels in [`views`]. Only `app` and `views` know egui exists.
//!
//! - [`timeline`]: jobs, runs, state changes, snapshots; the state at any
//!   time (no egui);
//! - [`session`]: opening a scenario or trace on a background thread;
//! - [`playback`]: the playhead, play/pause, speed and stepping (no egui);
//! - [`app`]: the window: menus, playback bar, tabs, persistence;
//! - [`views`]: cluster map, Gantt chart, plots, job table, inspector,
//!   compare, teaching panel.

pub mod app;
pub mod format;
pub mod playback;
pub mod session;
pub mod timeline;
pub mod views;

pub use app::{Options, ViewerApp};
