//! Component stdout/stderr: like `spin up`, each component's output is
//! appended to `<state-dir>/logs/<component>_stdout.txt` / `_stderr.txt` and
//! also shown on devhost's own stdout/stderr.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// Which terminal stream a component stream is echoed to.
#[derive(Clone, Copy, Debug)]
pub enum Echo {
    Stdout,
    Stderr,
}

/// A component output stream: a shared log file plus the terminal.
#[derive(Clone)]
pub struct LoggedOutput {
    file: Option<Arc<Mutex<File>>>,
    echo: Echo,
}

impl LoggedOutput {
    /// Opens (appending) `<dir>/<component>_<stdout|stderr>.txt`. If the file
    /// cannot be opened the output still reaches the terminal.
    pub fn open(dir: &Path, component_id: &str, echo: Echo) -> Self {
        let name = match echo {
            Echo::Stdout => format!("{component_id}_stdout.txt"),
            Echo::Stderr => format!("{component_id}_stderr.txt"),
        };
        let file = std::fs::create_dir_all(dir)
            .and_then(|_| {
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join(&name))
            })
            .map_err(|e| tracing::warn!("cannot open component log {name}: {e}"))
            .ok()
            .map(|f| Arc::new(Mutex::new(f)));
        Self { file, echo }
    }

    fn write_all(&self, buf: &[u8]) {
        if let Some(file) = &self.file {
            if let Ok(mut f) = file.lock() {
                let _ = f.write_all(buf);
            }
        }
        // Small, line-sized writes: writing synchronously keeps ordering simple.
        let _ = match self.echo {
            Echo::Stdout => std::io::stdout().write_all(buf),
            Echo::Stderr => std::io::stderr().write_all(buf),
        };
    }
}

impl IsTerminal for LoggedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LoggedOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for LoggedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.write_all(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_appended_to_the_component_log() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let out = LoggedOutput::open(dir.path(), "conn", Echo::Stderr);
        out.write_all(b"first\n");
        LoggedOutput::open(dir.path(), "conn", Echo::Stderr).write_all(b"second\n");
        let text = std::fs::read_to_string(dir.path().join("conn_stderr.txt"))?;
        assert_eq!(text, "first\nsecond\n");
        Ok(())
    }
}
