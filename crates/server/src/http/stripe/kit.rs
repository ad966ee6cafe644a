//! The resource kit: a Stripe resource declares its params, its renderer
//! and its specific rules, and the kit serves create, retrieve, update and
//! list for it, through the catalog service ([`crate::app::catalog`]).
//!
//! Every endpoint reads its parameters in the same order, so Stripe's
//! errors come out the same for every resource: `expand`, then the
//! resource's own parameters (its [`FromParams`] impl, in the order it reads
//! them), then [`Params::finish`] refuses whatever was not read ("Received
//! unknown parameter"). Only then are other objects read from the store.
//!
//! # Adding a resource
//!
//! 1. **Domain type** in `crates/domain` (or beside the service that owns
//!    it): `Serialize + Deserialize`, with `id`, `livemode` and `created`.
//! 2. **A file** `http/stripe/{resource}.rs` holding the rest:
//!    - `impl CatalogObject` ([`crate::app::catalog::CatalogObject`],
//!      usually one line of
//!      [`catalog_object!`](crate::app::catalog::catalog_object)): its
//!      storage kind, wire object name, whether it has events, and its
//!      renderer, the object as Stripe shows it (also what its events
//!      carry).
//!    - **Create params**: `impl FromParams` for the type that becomes the
//!      object, usually the object itself (the `ctx` gives its mode and
//!      clock; make its id there), or an `…In` struct when creating needs
//!      the store (a price's product).
//!    - **Update params**: a `…Patch` struct of `Option` fields, one per
//!      updatable parameter and typed as the object's field (`Some(None)`
//!      clears a nullable field); `impl FromParams` reads them and
//!      `impl Patch` applies them with
//!      [`patch_fields!`](crate::app::catalog::patch_fields) and
//!      [`patch_metadata`](crate::app::catalog::patch_metadata), plus any
//!      rule of its own (returning a `DomainError`).
//!    - **List filters**: a `…Filter` struct with `impl FromParams` and
//!      `impl Filter` (`keep`), or `()` for none.
//!    - `impl Resource`: its path, expandable fields, and the hooks it
//!      needs ([`Resource::build`] always; [`Resource::check`],
//!      [`Resource::respond`] and [`Resource::respond_created`] when the
//!      defaults do not fit).
//!    - `router()`: its two routes, each method served by a generic
//!      handler ([`create_object`], [`retrieve_object`], [`update_object`],
//!      [`list_objects`]) or by one of its own (a delete). The paths are
//!      written out as literals: the OpenAPI test reads them from the source.
//! 3. **Merge** the router in `http/stripe/mod.rs`, and add the resource's
//!    tests to `tests/api`.
//!
//! Rules that are the resource's own (a price's product must exist, a
//! webhook URL's policy) live in its file, in `build` or `check`; nothing is
//! copied from a sibling resource.

use super::context::{Ctx, StripeParams};
use super::error::StripeResult;
use super::expand::Expand;
use super::form::Params;
use super::list;
use crate::app::catalog::{self, CatalogObject, Filter, Patch};
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde_json::Value;

/// Request parameters decoded into a typed value. Reading a parameter
/// consumes it, so what is left after every reader ran is unknown.
pub trait FromParams: Sized {
    fn from_params(p: &mut Params, ctx: &Ctx) -> StripeResult<Self>;
}

/// No parameters (a list without filters).
impl FromParams for () {
    fn from_params(_: &mut Params, _: &Ctx) -> StripeResult<()> {
        Ok(())
    }
}

/// A catalog object served under `/v1/…` by the kit's handlers.
#[async_trait::async_trait]
pub trait Resource: CatalogObject {
    /// The collection's path (`/v1/products`), also the list `url`.
    const PATH: &'static str;
    /// What `expand[]` may name on one object (lists take them under `data.`).
    const EXPAND: &'static [&'static str] = &[];
    /// Whether lists take the `created` filter.
    const LIST_CREATED: bool = true;
    /// Create parameters.
    type In: FromParams + Send;
    /// Update parameters.
    type Patch: FromParams + Patch<Self>;
    /// List filters.
    type Filter: FromParams + Filter<Self>;

    /// The new object from its create parameters, reading (or creating)
    /// what it depends on.
    async fn build(state: &AppState, ctx: &Ctx, input: Self::In) -> StripeResult<Self>;

    /// Refuse an update before it is applied, for reasons that need the
    /// store or the server's settings.
    async fn check(
        _state: &AppState,
        _ctx: &Ctx,
        _id: &str,
        _patch: &Self::Patch,
    ) -> StripeResult<()> {
        Ok(())
    }

    /// The response body for this object.
    async fn respond(
        &self,
        _state: &AppState,
        _ctx: &Ctx,
        _expand: &Expand,
    ) -> StripeResult<Value> {
        Ok(self.render())
    }

    /// The response body of its create.
    async fn respond_created(
        &self,
        state: &AppState,
        ctx: &Ctx,
        expand: &Expand,
    ) -> StripeResult<Value> {
        self.respond(state, ctx, expand).await
    }
}

/// `POST PATH`: create.
pub async fn create_object<T: Resource>(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    let expand = Expand::read(&mut p, T::EXPAND)?;
    let input = T::In::from_params(&mut p, &ctx)?;
    p.finish()?;
    let obj = T::build(&state, &ctx, input).await?;
    let obj = catalog::create(&*state.store, &ctx, obj, Vec::new()).await?;
    Ok(Json(obj.respond_created(&state, &ctx, &expand).await?))
}

/// `GET PATH/{id}`: retrieve.
pub async fn retrieve_object<T: Resource>(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    let expand = Expand::read(&mut p, T::EXPAND)?;
    p.finish()?;
    let obj: T = catalog::retrieve(&*state.store, &ctx, &id, None).await?;
    Ok(Json(obj.respond(&state, &ctx, &expand).await?))
}

/// `POST PATH/{id}`: update.
pub async fn update_object<T: Resource>(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    let expand = Expand::read(&mut p, T::EXPAND)?;
    let patch = T::Patch::from_params(&mut p, &ctx)?;
    p.finish()?;
    T::check(&state, &ctx, &id, &patch).await?;
    let obj: T = catalog::update(&*state.store, &ctx, &id, &patch).await?;
    Ok(Json(obj.respond(&state, &ctx, &expand).await?))
}

/// `GET PATH`: list.
pub async fn list_objects<T: Resource>(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    let allowed = Expand::for_list(T::EXPAND);
    let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
    let expand = Expand::read(&mut p, &allowed)?;
    let query = list::query(&mut p, T::KIND, T::LIST_CREATED)?;
    let filter = T::Filter::from_params(&mut p, &ctx)?;
    p.finish()?;
    let (items, has_more) = catalog::list::<T>(&*state.store, &ctx, query, &filter).await?;
    let item_expand = expand.under("data");
    let mut data = Vec::with_capacity(items.len());
    for obj in &items {
        data.push(obj.respond(&state, &ctx, &item_expand).await?);
    }
    Ok(Json(list::envelope(data, has_more, T::PATH)))
}
