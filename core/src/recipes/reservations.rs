//! Keeping a primary group's reservations equal to (its tenants) × (its account infos): invariant U3.
//!
//! Every change that can alter either factor (make primary, link, unlink, delete a member, email change,
//! associate, disassociate) ends by calling [`sync`]. New rows are inserted in a fixed order, third-party keys
//! first, so the conflict reported is deterministic; the table's primary key makes a second holder impossible
//! even when another process races us.

use std::collections::BTreeSet;

use super::{Group, Tx, TxError, TxResult};
use crate::store::{AccountKey, Constraint, Reservation, StoreError};

/// Another primary group already holds a value this group needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conflict {
    pub holder: String,
    pub tenant_id: String,
    pub key: AccountKey,
}

impl Conflict {
    /// The createPrimaryUser / linkAccounts description (spec §4.2).
    pub fn description(&self) -> &'static str {
        match self.key {
            AccountKey::Email(_) => "This user's email is already associated with another user ID",
            AccountKey::Phone(_) => {
                "This user's phone number is already associated with another user ID"
            }
            AccountKey::ThirdParty(_) => {
                "This user's third party login is already associated with another user ID"
            }
        }
    }

    /// The associateUserToTenant reason (spec §5.5).
    pub fn association_reason(&self) -> String {
        let what = match self.key {
            AccountKey::Email(_) => "email",
            AccountKey::Phone(_) => "phone number",
            AccountKey::ThirdParty(_) => "third party info",
        };
        format!(
            "Another primary user with {what} already exists: {}",
            self.holder
        )
    }
}

/// What the group must reserve; nothing for a standalone user (U4).
pub(crate) fn desired(group: &Group) -> BTreeSet<Reservation> {
    if !group.is_primary {
        return BTreeSet::new();
    }
    let tenants: BTreeSet<&String> = group
        .members
        .iter()
        .flat_map(|m| m.tenant_ids.iter())
        .collect();
    let mut keys = BTreeSet::new();
    for m in &group.members {
        if let Some(tp) = &m.third_party {
            keys.insert(AccountKey::ThirdParty(tp.clone()));
        }
        if let Some(e) = &m.email {
            keys.insert(AccountKey::Email(e.clone()));
        }
        if let Some(p) = &m.phone_number {
            keys.insert(AccountKey::Phone(p.clone()));
        }
    }
    let mut out = BTreeSet::new();
    for t in &tenants {
        for k in &keys {
            out.insert(Reservation {
                tenant_id: (*t).clone(),
                key: k.clone(),
            });
        }
    }
    out
}

/// Bring `group_id`'s rows to `desired`. `Ok(Some(conflict))` means a write was refused and the caller must
/// roll the transaction back.
pub(crate) fn sync(
    tx: &mut Tx<'_>,
    group_id: &str,
    desired: &BTreeSet<Reservation>,
) -> TxResult<Option<Conflict>> {
    let existing: BTreeSet<Reservation> = tx.s.reservations_of(group_id)?.into_iter().collect();
    let mut to_add: Vec<&Reservation> = desired.difference(&existing).collect();
    to_add.sort_by(|a, b| (&a.key, &a.tenant_id).cmp(&(&b.key, &b.tenant_id)));
    for r in to_add {
        match tx.s.insert_reservation(r, group_id) {
            Ok(()) => {}
            Err(StoreError::UniqueViolation(Constraint::Reservation)) => {
                let holder = tx.s.reservation_holder(r)?.ok_or(TxError::Store(
                    StoreError::UniqueViolation(Constraint::Reservation),
                ))?;
                return Ok(Some(Conflict {
                    holder,
                    tenant_id: r.tenant_id.clone(),
                    key: r.key.clone(),
                }));
            }
            Err(e) => return Err(e.into()),
        }
    }
    for r in existing.difference(desired) {
        tx.s.delete_reservation(r, group_id)?;
    }
    Ok(None)
}

/// [`sync`] for a loaded group.
pub(crate) fn sync_group(tx: &mut Tx<'_>, group: &Group) -> TxResult<Option<Conflict>> {
    sync(tx, &group.id, &desired(group))
}
