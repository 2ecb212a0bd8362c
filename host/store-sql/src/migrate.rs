//! The schema's versioned migrations, embedded in the binary, and which of them a database
//! still needs. Each backend applies them in one transaction under its own lock (SQLite's
//! write lock, a PostgreSQL advisory lock), recording each in `schema_migrations`.

use crate::SqlError;

/// One step of the schema.
pub(crate) struct Migration {
    /// Applied in increasing order; recorded in `schema_migrations.version`.
    pub version: i64,
    /// What it does, for errors and the record.
    pub name: &'static str,
    /// The statements.
    pub sql: &'static str,
}

pub(crate) const SQLITE: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sql: include_str!("../migrations/sqlite/0001_initial.sql"),
}];

pub(crate) const POSTGRES: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sql: include_str!("../migrations/postgres/0001_initial.sql"),
}];

/// Creates the table that records applied migrations (the same SQL on both databases).
pub(crate) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT   NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// The newest applied version.
pub(crate) const NEWEST: &str = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";

/// The migrations of `all` after `applied` (the database's newest); refuses a database
/// newer than this build.
pub(crate) fn pending(
    all: &'static [Migration],
    applied: i64,
) -> Result<&'static [Migration], SqlError> {
    let known = all.last().map_or(0, |m| m.version);
    if applied > known {
        return Err(SqlError::SchemaTooNew {
            found: applied,
            known,
        });
    }
    Ok(&all[all.partition_point(|m| m.version <= applied)..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_and_pending_is_what_follows_the_applied_one() {
        for all in [SQLITE, POSTGRES] {
            assert!(all.windows(2).all(|w| w[0].version < w[1].version));
            assert_eq!(pending(all, 0).unwrap().len(), all.len());
            assert_eq!(pending(all, all.len() as i64).unwrap().len(), 0);
        }
        assert!(matches!(
            pending(SQLITE, 99),
            Err(SqlError::SchemaTooNew {
                found: 99,
                known: 1
            })
        ));
    }
}
