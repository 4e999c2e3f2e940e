use csms_store::StoreError;

/// Why a message could not be applied. Nothing was committed in any case; the HTTP status
/// ([`TxError::status`]) tells the connection component whether a retry can help.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// The request does not fit the contract (not JSON, payload not the action's schema).
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The authorization component could not be asked or gave no usable answer.
    #[error("authorization component: {0}")]
    Authorization(String),
    /// Something changed under us between two reads; a retry will succeed.
    #[error("conflict, retry: {0}")]
    Conflict(String),
    /// No such transaction (operator routes).
    #[error("not found: {0}")]
    NotFound(String),
    /// The transaction is already stopped: closing it again would change a billed record.
    #[error("{0}")]
    AlreadyStopped(String),
}

impl TxError {
    pub fn status(&self) -> u16 {
        match self {
            TxError::BadRequest(_) => 400,
            // Other writers held the lock past every retry: a retry later can succeed.
            TxError::Store(e) if e.is_busy() => 503,
            TxError::Store(_) => 500,
            TxError::Authorization(_) => 502,
            TxError::Conflict(_) => 503,
            TxError::NotFound(_) => 404,
            TxError::AlreadyStopped(_) => 409,
        }
    }
}
