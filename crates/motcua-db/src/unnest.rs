//! Multi-row inserts on PostgreSQL as one statement whatever the number of rows: each column is
//! bound as one array and the rows come from `unnest`. The text of the statement never changes,
//! so the connection keeps it prepared; a `VALUES` list of varying length is built, parsed and
//! planned again at every batch, which cost the busiest writes (dossier intake) about a fifth of
//! the database's time.

use std::fmt::Debug;
use std::marker::PhantomData;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Array, HasSqlType};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

/// One statement: where the rows go and what follows them.
pub trait Statement: 'static {
    /// `table (column, …)`, the columns in the order of [`Unnest::column`] calls.
    const INTO: &'static str;
    /// After the rows: `ON CONFLICT …`, `RETURNING …` or nothing.
    const THEN: &'static str;
}

/// A statement that returns rows of `SqlType`.
pub trait Returning: Statement {
    type SqlType;
}

/// `INSERT INTO S::INTO SELECT * FROM unnest(columns…) S::THEN`.
pub struct Unnest<'a, S> {
    columns: Vec<Box<dyn Column + 'a>>,
    statement: PhantomData<S>,
}

impl<'a, S: Statement> Unnest<'a, S> {
    pub fn new() -> Self {
        Self {
            columns: Vec::new(),
            statement: PhantomData,
        }
    }

    /// Adds the next column, of SQL type `ST`: `value` of each of `rows`.
    pub fn column<ST, R, T>(mut self, rows: &'a [R], value: impl Fn(&'a R) -> T) -> Self
    where
        ST: 'static,
        Pg: HasSqlType<ST>,
        T: ToSql<ST, Pg> + Debug + 'a,
    {
        self.columns.push(Box::new(Values::<ST, T> {
            values: rows.iter().map(value).collect(),
            sql_type: PhantomData,
        }));
        self
    }
}

impl<S: Statement> Default for Unnest<'_, S> {
    fn default() -> Self {
        Self::new()
    }
}

/// One column's values, bound as one array.
trait Column {
    fn bind<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()>;
}

struct Values<ST, T> {
    values: Vec<T>,
    sql_type: PhantomData<ST>,
}

impl<ST, T> Column for Values<ST, T>
where
    ST: 'static,
    Pg: HasSqlType<ST>,
    T: ToSql<ST, Pg> + Debug,
{
    fn bind<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_bind_param::<Array<ST>, [T]>(self.values.as_slice())
    }
}

impl<S: Statement> QueryId for Unnest<'_, S> {
    type QueryId = S;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<S: Statement> QueryFragment<Pg> for Unnest<'_, S> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("INSERT INTO ");
        out.push_sql(S::INTO);
        out.push_sql(" SELECT * FROM unnest(");
        for (index, column) in self.columns.iter().enumerate() {
            if index > 0 {
                out.push_sql(", ");
            }
            column.bind(out.reborrow())?;
        }
        out.push_sql(") ");
        out.push_sql(S::THEN);
        Ok(())
    }
}

impl<S: Returning> Query for Unnest<'_, S> {
    type SqlType = S::SqlType;
}

impl<S> RunQueryDsl<PgConnection> for Unnest<'_, S> {}
