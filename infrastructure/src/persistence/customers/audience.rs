//! An audience (`domain::customers::Group`) as one SQL condition on `customers`, the same on
//! Postgres and SQLite: tags and custom field values through their search tables
//! (`customer_tags`, `customer_field_values`, indexed per shop), the rest on `customers` itself.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func, LikeExpr, Query, SelectStatement, SimpleExpr, UnionType};

use domain::ShopId;
use domain::customers::{Condition as C, FieldOp, Group, Purpose, TimeRange};

use super::entities::customer_field_values as values;
use super::entities::customer_tags as tags;
use super::entities::customers::Column;

/// `%part%` with LIKE's wildcards in `part` taken literally (escape `\`).
fn contains(part: &str) -> LikeExpr {
    let escaped: String = part.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

/// Part of a name (WhatsApp's or the merchant's), `waId` or `userId`, case-insensitive.
pub(crate) fn search(s: &str) -> Condition {
    let pattern = s.to_lowercase();
    let like = |c: Column| Expr::expr(Func::lower(Expr::col(c))).like(contains(&pattern));
    Condition::any().add(like(Column::Name)).add(like(Column::DisplayName)).add(like(Column::WaId)).add(like(Column::UserId))
}

fn in_subquery(q: SelectStatement) -> SimpleExpr {
    Expr::col((super::entities::customers::Entity, Column::Id)).in_subquery(q)
}

/// How an intersection of id sets meets `customers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intersections {
    /// `id IN (…)`: the planner may walk a sort index and probe a hash of the set, and stop after
    /// a page (a page of 50 out of 18,000 matches: 2 ms).
    SemiJoin,
    /// `id = ANY(ARRAY(…))` (Postgres): the set is computed once and each member is looked up by
    /// key. For counts, which visit every member anyway: the planner cannot size an intersection
    /// and otherwise reads every customer of the shop to probe it (the bench's segment count: 77
    /// → 53 ms; a broad intersection of 18,000: the same). docs/adr/0008.
    KeyLookup,
}

fn meets(q: SelectStatement, how: Intersections) -> SimpleExpr {
    use sea_orm::sea_query::extension::postgres::PgFunc;
    match how {
        Intersections::SemiJoin => in_subquery(q),
        Intersections::KeyLookup => Expr::col((super::entities::customers::Entity, Column::Id))
            .eq(PgFunc::any(Func::cust("ARRAY").arg(SimpleExpr::SubQuery(None, Box::new(q.into()))))),
    }
}

/// The customers with any (or all) of `keys`, as a subquery of ids on `customer_tags`.
fn tagged(shop: ShopId, all: bool, keys: &[String]) -> SelectStatement {
    let mut q = Query::select();
    q.column(tags::Column::CustomerId)
        .from(tags::Entity)
        .and_where(Expr::col(tags::Column::ShopId).eq(shop.as_uuid()))
        .and_where(Expr::col(tags::Column::TagKey).is_in(keys.iter().cloned()));
    if all {
        q.group_by_col(tags::Column::CustomerId).and_having(Expr::expr(Func::count(Expr::col(tags::Column::TagKey))).eq(keys.len() as i64));
    }
    q.to_owned()
}

/// The customers whose field `key` has a value that passes `op` (for `IsSet`: any value), as a
/// subquery of ids on `customer_field_values`.
fn field(shop: ShopId, key: &str, op: &FieldOp) -> SelectStatement {
    let mut q = Query::select();
    q.column(values::Column::CustomerId)
        .from(values::Entity)
        .and_where(Expr::col(values::Column::ShopId).eq(shop.as_uuid()))
        .and_where(Expr::col(values::Column::FieldKey).eq(key));
    let text = || Expr::col(values::Column::TextValue);
    let number = || Expr::col(values::Column::NumberValue);
    match op {
        FieldOp::EqualsText(t) => q.and_where(text().eq(t.as_str())),
        FieldOp::EqualsNumber(n) => q.and_where(number().eq(*n)),
        FieldOp::Contains(t) => q.and_where(text().like(contains(t))),
        FieldOp::Gt(n) => q.and_where(number().gt(*n)),
        FieldOp::Lt(n) => q.and_where(number().lt(*n)),
        FieldOp::Between(a, b) => q.and_where(number().between(*a, *b)),
        FieldOp::IsSet(_) => &mut q,
    };
    q.to_owned()
}

/// A condition that a search table answers, as the subquery of the customers it selects.
fn ids(shop: ShopId, c: &C) -> Option<SelectStatement> {
    match c {
        C::Tags { all, tags } => Some(tagged(shop, *all, tags)),
        C::Field { op: FieldOp::IsSet(false), .. } => None,
        C::Field { key, op } => Some(field(shop, key, op)),
        _ => None,
    }
}

fn range(c: Column, r: &TimeRange) -> Condition {
    let mut out = Condition::all();
    if let Some(a) = r.after {
        out = out.add(Expr::col(c).gte(a));
    }
    if let Some(b) = r.before {
        out = out.add(Expr::col(c).lt(b));
    }
    out
}

fn one(shop: ShopId, c: &C, now: DateTime<Utc>, how: Intersections) -> Condition {
    match c {
        C::Search(s) => search(s),
        C::Tags { all, tags } => Condition::all().add(in_subquery(tagged(shop, *all, tags))),
        C::Field { key, op: FieldOp::IsSet(false) } => Condition::all()
            .add(Expr::col((super::entities::customers::Entity, Column::Id)).not_in_subquery(field(shop, key, &FieldOp::IsSet(true)))),
        C::Field { key, op } => Condition::all().add(in_subquery(field(shop, key, op))),
        C::Consent { purpose, status } => {
            let col = match purpose {
                Purpose::Marketing => Column::OptInStatus,
                Purpose::Utility => Column::UtilityStatus,
            };
            Condition::all().add(Expr::col(col).eq(status.as_str()))
        }
        C::LastInbound(r) => range(Column::LastInboundAt, r),
        C::FirstContact(r) => range(Column::FirstContactedAt, r),
        C::WindowOpen(open) => {
            let since = now - domain::messaging::window::customer_service_window();
            if *open {
                Condition::all().add(Expr::col(Column::LastInboundAt).gt(since))
            } else {
                Condition::any().add(Expr::col(Column::LastInboundAt).is_null()).add(Expr::col(Column::LastInboundAt).lte(since))
            }
        }
        C::Group(g) => condition(shop, g, now, how),
    }
}

/// The audience as a condition (the shop's own rows are selected by the caller).
///
/// A group's conditions on the search tables become one subquery: their ids intersected (all) or
/// united (any), so the database combines the small id sets first and reads only the customers
/// that match them all, instead of joining each set to the customers in turn (docs/adr/0008).
/// `how` says how an intersection of two sets or more meets `customers` (Postgres only; SQLite
/// always takes `IN`).
pub(crate) fn condition(shop: ShopId, g: &Group, now: DateTime<Utc>, how: Intersections) -> Condition {
    let mut out = if g.any { Condition::any() } else { Condition::all() };
    let mut sets: Option<(SelectStatement, usize)> = None;
    for c in &g.conditions {
        match (ids(shop, c), sets.as_mut()) {
            (Some(q), Some((acc, n))) => {
                acc.union(if g.any { UnionType::Distinct } else { UnionType::Intersect }, q);
                *n += 1;
            }
            (Some(q), None) => sets = Some((q, 1)),
            (None, _) => out = out.add(one(shop, c, now, how)),
        }
    }
    match sets {
        Some((q, n)) if n > 1 && !g.any => out.add(meets(q, how)),
        Some((q, _)) => out.add(in_subquery(q)),
        None => out,
    }
}
