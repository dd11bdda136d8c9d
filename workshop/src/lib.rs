//! What pyserver and pyclient share: how their command lines fail, how
//! they take their ports, how they are told to stop, and where their
//! diagnostics go.
//!
//! Both binaries are small and run as PID 1 in a container, so they must
//! behave alike in the three places an attendee meets them first: a typo in
//! a flag, `kubectl delete pod` (SIGTERM), and `RUST_LOG=debug`.

pub mod cli;
pub mod listen;
pub mod shutdown;
pub mod telemetry;
