//! What one request cost in host calls: component instances (its own, its dependencies',
//! and those of the components it chained to), SQLite opens, statements and commits,
//! PostgreSQL opens and statements, and key-value reads and writes. Each top-level request's counts are in its `request` log
//! line, so a benchmark can read what each OCPP message costs on a host that, like Spin,
//! opens a connection per `open` and an instance per request.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct StoreCalls {
    instances: AtomicU64,
    sqlite_opens: AtomicU64,
    sqlite_statements: AtomicU64,
    sqlite_commits: AtomicU64,
    pg_opens: AtomicU64,
    pg_statements: AtomicU64,
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
    pub pg_opens: u64,
    pub pg_statements: u64,
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
    /// A PostgreSQL `open` that got a (pooled) connection.
    pub fn pg_open(&self) {
        add(&self.pg_opens, 1);
    }
    /// A PostgreSQL `query` or `execute` sent to the server, whatever its outcome. There is
    /// no commit count: a PostgreSQL commit is a statement like the others.
    pub fn pg_statement(&self) {
        add(&self.pg_statements, 1);
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
            pg_opens: get(&self.pg_opens),
            pg_statements: get(&self.pg_statements),
            kv_reads: get(&self.kv_reads),
            kv_writes: get(&self.kv_writes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_opens_and_statements_are_counted_apart_from_sqlite() {
        let calls = StoreCalls::default();
        calls.pg_open();
        calls.pg_statement();
        calls.pg_statement();
        calls.sqlite_statement(true);
        let c = calls.counts();
        assert_eq!((c.pg_opens, c.pg_statements), (1, 2));
        assert_eq!((c.sqlite_statements, c.sqlite_commits), (1, 1));
    }
}
