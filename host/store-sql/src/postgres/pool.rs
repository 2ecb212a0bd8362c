//! Pooled PostgreSQL connections that keep their prepared statements: a statement is
//! parsed by the server once per connection, and every later use is one round trip (the
//! client's `query(&str, …)` would prepare it again each time: two).

use std::collections::HashMap;

use ::postgres::types::ToSql;
use ::postgres::{
    Client, Config, GenericClient, IsolationLevel, NoTls, Row, Statement, Transaction,
};

/// Opens [`Conn`]s for the pool.
#[derive(Debug)]
pub(super) struct Manager(pub Config);

/// A connection with the statements prepared on it, by SQL text.
pub(super) struct Conn {
    /// Always `Some` but while being dropped (see the `Drop` impl).
    client: Option<Client>,
    statements: HashMap<String, Statement>,
}

impl Conn {
    pub(super) fn new(client: Client) -> Self {
        Self {
            client: Some(client),
            statements: HashMap::new(),
        }
    }

    /// Begins a read-committed transaction (the default): row locks and conditional updates
    /// make its read-modify-writes safe.
    pub(super) fn transaction(&mut self) -> Result<Tx<'_>, ::postgres::Error> {
        Ok(Tx {
            tx: live(&mut self.client).transaction()?,
            statements: &mut self.statements,
        })
    }

    /// Begins a read-only transaction on one snapshot: a count and a page that agree.
    pub(super) fn snapshot(&mut self) -> Result<Tx<'_>, ::postgres::Error> {
        let tx = live(&mut self.client)
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        Ok(Tx {
            tx,
            statements: &mut self.statements,
        })
    }
}

/// A transaction on a [`Conn`], using and filling its statement cache.
pub(super) struct Tx<'a> {
    tx: Transaction<'a>,
    statements: &'a mut HashMap<String, Statement>,
}

impl Tx<'_> {
    /// Commits; dropping a `Tx` instead rolls it back.
    pub(super) fn commit(self) -> Result<(), ::postgres::Error> {
        self.tx.commit()
    }
}

/// Statement-caching queries on a [`Conn`] or a [`Tx`].
pub(super) trait Session {
    /// The client the statements run on.
    type Client: GenericClient;

    fn parts(&mut self) -> (&mut Self::Client, &mut HashMap<String, Statement>);

    /// `sql` prepared on this connection, from the cache when it was before.
    fn statement(&mut self, sql: &str) -> Result<Statement, ::postgres::Error> {
        let (client, statements) = self.parts();
        if let Some(statement) = statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, ::postgres::Error> {
        let statement = self.statement(sql)?;
        self.parts().0.execute(&statement, params)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, ::postgres::Error> {
        let statement = self.statement(sql)?;
        self.parts().0.query(&statement, params)
    }

    fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, ::postgres::Error> {
        let statement = self.statement(sql)?;
        self.parts().0.query_opt(&statement, params)
    }

    fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, ::postgres::Error> {
        let statement = self.statement(sql)?;
        self.parts().0.query_one(&statement, params)
    }
}

impl Session for Conn {
    type Client = Client;

    fn parts(&mut self) -> (&mut Client, &mut HashMap<String, Statement>) {
        (live(&mut self.client), &mut self.statements)
    }
}

impl<'a> Session for Tx<'a> {
    type Client = Transaction<'a>;

    fn parts(&mut self) -> (&mut Transaction<'a>, &mut HashMap<String, Statement>) {
        (&mut self.tx, self.statements)
    }
}

/// The client of a connection that is not being dropped.
fn live(client: &mut Option<Client>) -> &mut Client {
    client
        .as_mut()
        .unwrap_or_else(|| unreachable!("the client is taken only by drop"))
}

impl Drop for Conn {
    /// `postgres::Client` closes its connection by blocking on a runtime of its own, which
    /// panics on a thread that drives a tokio runtime: a server dropping its store when it
    /// shuts down, or a test's runtime. There the client is closed on a thread of its own.
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            let closing = std::thread::Builder::new()
                .name("ordergate-pg-close".into())
                .spawn(move || drop(client));
            if let Err(err) = closing {
                tracing::warn!(%err, "could not close a PostgreSQL connection cleanly");
            }
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = ::postgres::Error;

    fn connect(&self) -> Result<Conn, ::postgres::Error> {
        self.0.connect(NoTls).map(Conn::new)
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), ::postgres::Error> {
        live(&mut conn.client).simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.client.as_ref().is_none_or(Client::is_closed)
    }
}
