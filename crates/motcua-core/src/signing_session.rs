//! The states of a two-step signing session and the moves between them.
//!
//! `pending` (prepared, waiting for a signature handed in or for remote signing to start) →
//! `awaiting_approval` (a remote provider was asked; its holder has not answered) → `signed`,
//! `rejected` (the holder or the provider refused) or `expired` (the deadline passed first).
//! A pending session can also be signed directly or expire.

crate::text_enum! {
    /// Where a signing session is.
    pub enum SessionState {
        /// Prepared; nothing asked of a provider yet.
        Pending = "pending",
        /// A remote signing provider was asked and its answer is awaited.
        AwaitingApproval = "awaiting_approval",
        /// The signature is embedded and the document stored.
        Signed = "signed",
        /// The holder or the provider refused.
        Rejected = "rejected",
        /// The deadline passed before a signature came.
        Expired = "expired",
    }
}

impl SessionState {
    /// Whether a session in this state may move to `next`.
    pub fn can_move_to(self, next: SessionState) -> bool {
        use SessionState::*;
        matches!(
            (self, next),
            (Pending, AwaitingApproval | Signed | Expired)
                | (AwaitingApproval, Signed | Rejected | Expired)
        )
    }

    /// No move leaves this state.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Signed | Self::Rejected | Self::Expired)
    }
}

#[cfg(test)]
mod tests {
    use super::SessionState::*;

    #[test]
    fn final_states_never_move_and_remote_answers_need_a_request() {
        for state in [Signed, Rejected, Expired] {
            assert!(state.is_final());
            for next in [Pending, AwaitingApproval, Signed, Rejected, Expired] {
                assert!(!state.can_move_to(next), "{state:?} -> {next:?}");
            }
        }
        assert!(!Pending.can_move_to(Rejected), "only a provider rejects");
        assert!(Pending.can_move_to(AwaitingApproval));
        assert!(AwaitingApproval.can_move_to(Signed));
        assert!(!AwaitingApproval.can_move_to(Pending));
    }
}
