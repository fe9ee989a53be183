//! One download per file at a time among the builds of one process
//! (`whittle build-all --jobs N`): a caller about to fetch a file another
//! build is already fetching waits for that download to end, then finds
//! the file in the cache instead of fetching it again.

use std::collections::HashSet;
use std::io::{self, Read};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// The keys (files) being fetched now.
#[derive(Debug, Default)]
pub(crate) struct Turns {
    busy: Mutex<HashSet<String>>,
    freed: Condvar,
}

/// The right to fetch one key; dropping it lets the next caller in.
#[derive(Debug)]
pub struct Turn {
    turns: Option<Arc<Turns>>,
    key: String,
}

impl Turns {
    /// Wait until nobody holds `key`, then hold it.
    pub(crate) fn take(self: &Arc<Turns>, key: &str) -> Turn {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        while busy.contains(key) {
            busy = self
                .freed
                .wait(busy)
                .unwrap_or_else(PoisonError::into_inner);
        }
        busy.insert(key.to_string());
        Turn {
            turns: Some(Arc::clone(self)),
            key: key.to_string(),
        }
    }
}

impl Turn {
    /// A turn that waits for nobody (fetchers that do not share work).
    pub(crate) fn free() -> Turn {
        Turn {
            turns: None,
            key: String::new(),
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(turns) = &self.turns {
            turns
                .busy
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&self.key);
            turns.freed.notify_all();
        }
    }
}

/// A reader that holds its file's turn until it is dropped.
pub(crate) struct Holding {
    pub(crate) inner: Box<dyn Read + Send>,
    pub(crate) _turn: Turn,
}

impl Read for Holding {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn a_second_caller_waits_for_the_first_and_other_keys_do_not() {
        let turns = Arc::new(Turns::default());
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let _turn = turns.take("same");
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    inside.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 1);
        let a = turns.take("a");
        let b = turns.take("b");
        drop((a, b));
        assert!(turns.busy.lock().map(|b| b.is_empty()).unwrap_or(false));
    }
}
