//! What one request cost in host calls: component instances (its own, its dependencies',
//! and those of the components it chained to), SQLite opens, statements and commits, and
//! key-value reads and writes. Each top-level request's counts are in its `request` log
//! line, so a benchmark can read what each OCPP message costs on a host that, like Spin,
//! opens a connection per `open` and an instance per request.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct StoreCalls {
    instances: AtomicU64,
    sqlite_opens: AtomicU64,
    sqlite_statements: AtomicU64,
    sqlite_commits: AtomicU64,
    kv_reads: AtomicU64,
    kv_writes: AtomicU64,
}

/// The counts at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub instances: u64,
    pub sqlite_opens: u64,
    pub sqlite_statements: u64,
    pub sqlite_commits: u64,
    pub kv_reads: u64,
    pub kv_writes: u64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl StoreCalls {
    pub fn instances(&self, n: u64) {
        add(&self.instances, n);
    }
    pub fn sqlite_open(&self) {
        add(&self.sqlite_opens, 1);
    }
    /// One statement; `commits` when it ended a transaction or wrote outside one.
    pub fn sqlite_statement(&self, commits: bool) {
        add(&self.sqlite_statements, 1);
        if commits {
            add(&self.sqlite_commits, 1);
        }
    }
    pub fn kv_read(&self) {
        add(&self.kv_reads, 1);
    }
    pub fn kv_write(&self) {
        add(&self.kv_writes, 1);
    }

    pub fn counts(&self) -> Counts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counts {
            instances: get(&self.instances),
            sqlite_opens: get(&self.sqlite_opens),
            sqlite_statements: get(&self.sqlite_statements),
            sqlite_commits: get(&self.sqlite_commits),
            kv_reads: get(&self.kv_reads),
            kv_writes: get(&self.kv_writes),
        }
    }
}
