//! The authorization component: id token decisions (1.6 idTag, 2.0.1 idToken) from the
//! `id_tags` registry, version-neutral ([`TokenDecision`]); each version's adapter writes
//! them its own way.
//!
//! Given a token (and its 2.0.1 type), its row in `id_tags` (status, expiry date, group,
//! token type, maximum number of concurrent transactions) and the open rows of
//! `transactions`, [`decide`] answers: `Unknown` for a token not registered (or registered
//! with another type; 1.6 says `Invalid`), `Blocked`, `Expired` once
//! the expiry date has passed, `ConcurrentTx` when a start would exceed the tag's open
//! transactions (default one), else `Accepted`; expiry date and parent idTag are included when
//! the registry has them. [`authorize_stop`] also says whether a tag may stop a transaction
//! (same tag, or the same parent idTag as the tag that started it). [`decide_at`] adds the
//! charge point's reservations: a tag they do not hold for is refused where they hold
//! (`Invalid`, with the reason).
//!
//! The component is reached only by Spin service chaining (private routes, see [`http`]): the
//! connection component asks for `Authorize`, the transactions component for starts and stops.
//! Domain code takes the store ([`csms_store::Sql`]) and the current instant as arguments, so it
//! is tested natively against SQLite files; `spin_component` is the thin Spin adapter.

mod decide;
pub mod http;
mod reservation;
mod stop;

pub use csms_contracts::authorization::{
    AuthorizationStatus, Purpose, StopAuthorization, TokenDecision,
};
pub use decide::{decide, decide_at, Asked, DecideError, Decision};
pub use reservation::Place;
pub use stop::authorize_stop;

// The Spin SDK's export macro expands to unsafe code.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod spin_component;
