//! When batches start: on the wall clock, not on a timer.
//!
//! A batch starts each time Unix time reaches a multiple of the interval, at
//! :00, :20 and :40 of every minute for the default 20 s. Every replica of
//! the client therefore fires at the same moment, whenever its pod started,
//! and the 3-client experiments really put 30 requests on the wire at once.
//! A timer started at each pod's own start would spread them out, and the
//! sidecars' limits would never be reached together.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The first multiple of `interval` in Unix time that is strictly after
/// `now`.
pub fn next_boundary(now: SystemTime, interval: Duration) -> SystemTime {
    let since_epoch = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let step = interval.as_nanos().max(1);
    let next = (since_epoch.as_nanos() / step + 1) * step;
    let secs = (next / 1_000_000_000) as u64;
    let nanos = (next % 1_000_000_000) as u32;
    UNIX_EPOCH + Duration::new(secs, nanos)
}

/// The moments at which batches start, one after another.
#[derive(Debug)]
pub struct Schedule {
    interval: Duration,
    /// The boundary the next call to [`Schedule::tick`] waits for.
    next: SystemTime,
}

impl Schedule {
    /// A schedule whose first batch is at the first boundary after `now`.
    pub fn after(now: SystemTime, interval: Duration) -> Self {
        Schedule {
            interval,
            next: next_boundary(now, interval),
        }
    }

    /// When the next batch will start.
    pub fn next(&self) -> SystemTime {
        self.next
    }

    /// Sleeps until the next boundary and returns it.
    ///
    /// The sleep itself runs on the monotonic clock, so a wall clock that is
    /// stepped mid-sleep can misplace one batch; the one after is aligned
    /// again, because each boundary is computed afresh from the wall clock.
    /// Boundaries that passed while the process could not run (a suspended
    /// laptop) are skipped, not fired in a burst.
    pub async fn tick(&mut self) -> SystemTime {
        let boundary = self.next;
        if let Ok(wait) = boundary.duration_since(SystemTime::now()) {
            tokio::time::sleep(wait).await;
        }
        let now = SystemTime::now().max(boundary);
        self.next = next_boundary(now, self.interval);
        boundary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    #[test]
    fn boundaries_are_multiples_of_the_interval() {
        let twenty = Duration::from_secs(20);
        assert_eq!(
            next_boundary(at(1_000_000_005, 0), twenty),
            at(1_000_000_020, 0)
        );
        assert_eq!(
            next_boundary(at(1_000_000_019, 999), twenty),
            at(1_000_000_020, 0)
        );
        assert_eq!(
            next_boundary(at(1_000_000_000, 0), twenty),
            at(1_000_000_020, 0)
        );
        assert_eq!(
            next_boundary(at(7, 250), Duration::from_millis(500)),
            at(7, 500)
        );
    }

    #[test]
    fn the_default_interval_fires_at_00_20_and_40() {
        // 2021-08-05T17:18:33Z, a few seconds before a batch of the original's log.
        let mut now = at(1_628_183_913, 0);
        let mut seconds = Vec::new();
        for _ in 0..4 {
            now = next_boundary(now, Duration::from_secs(20));
            let since = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
            seconds.push(since % 60);
        }
        assert_eq!(seconds, [40, 0, 20, 40]);
    }

    #[tokio::test]
    async fn ticks_follow_each_other_by_one_interval() {
        let interval = Duration::from_millis(200);
        let mut schedule = Schedule::after(SystemTime::now(), interval);
        let first = schedule.tick().await;
        let second = schedule.tick().await;

        assert_eq!(second.duration_since(first).unwrap(), interval);
        assert!(SystemTime::now() >= second);
        assert_eq!(schedule.next(), second + interval);
    }
}
