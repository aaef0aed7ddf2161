//! Work on many files at once: [`map`] runs one closure per item on a few scoped threads and
//! returns the results in the items' order, so commands that take many files can open,
//! decrypt and write them concurrently and still report in argument order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The most threads [`map`] uses: enough for remote key services (KMS) answering several files
/// at once, few enough for a small machine.
const MAX_THREADS: usize = 8;

/// `f` applied to every item, on up to [`MAX_THREADS`] threads (the calling thread among them),
/// results in item order.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let slots: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let next = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(item) = items.get(i) else { break };
        let result = f(item);
        slots.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(result);
    };
    std::thread::scope(|scope| {
        for _ in 1..items.len().min(MAX_THREADS) {
            scope.spawn(work);
        }
        work();
    });
    slots
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        // Every index below the length was taken by a worker, and a worker that panicked
        // took the whole scope (and so the process) down with it.
        .map(|slot| slot.expect("every item was processed"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<u32> = (0..100).collect();
        let out = super::map(&items, |i| i * 2);
        assert_eq!(out, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u32], |i| *i).is_empty());
    }
}
