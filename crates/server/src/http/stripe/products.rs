//! `/v1/products`: create, retrieve, update, list.

use super::context::{Ctx, StripeParams};
use super::error::StripeResult;
use super::expand::Expand;
use super::form::{element, Params};
use super::params::{decimal, new_metadata};
use super::{list, resource};
use crate::app::events::{created as created_event, updated as updated_event};
use crate::http::AppState;
use crate::ids;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use checkout_domain::catalog::{PackageDimensions, Product};
use checkout_store::Index;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{json, Value};

pub const KIND: &str = "product";

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/products", get(list_products).post(create_product))
        .route(
            "/v1/products/{id}",
            get(retrieve_product).post(update_product),
        )
}

/// The product as Stripe renders it.
pub fn render(p: &Product) -> Value {
    json!({
        "id": p.id,
        "object": "product",
        "active": p.active,
        "created": p.created,
        "default_price": p.default_price,
        "description": p.description,
        "images": p.images,
        "livemode": p.livemode,
        "marketing_features": p.marketing_features.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>(),
        "metadata": p.metadata,
        "name": p.name,
        // Numbers, as Stripe's schema has them (a `Decimal` would serialize
        // as a string).
        "package_dimensions": p.package_dimensions.as_ref().map(|d| json!({
            "height": d.height.to_f64(), "length": d.length.to_f64(),
            "weight": d.weight.to_f64(), "width": d.width.to_f64(),
        })),
        "shippable": p.shippable,
        "statement_descriptor": p.statement_descriptor,
        "tax_code": p.tax_code,
        "tax_details": null,
        // Dropped from the 2026 spec but still required by typed SDKs
        // (async-stripe); "service" is what Stripe gives API-made products.
        "type": "service",
        "unit_label": p.unit_label,
        "updated": p.updated,
        "url": p.url,
    })
}

fn images(p: &mut Params) -> StripeResult<Option<Vec<String>>> {
    let images = p.string_array("images", 2048)?;
    if let Some(list) = &images {
        if list.len() > 8 {
            return Err(super::error::StripeError::invalid_request(
                format!(
                    "You may only specify up to 8 images, but you passed {}.",
                    list.len()
                ),
                Some("images".into()),
            ));
        }
    }
    Ok(images)
}

fn marketing_features(p: &mut Params) -> StripeResult<Option<Vec<String>>> {
    let Some(items) = p.array("marketing_features")? else {
        return Ok(None);
    };
    let mut names = Vec::with_capacity(items.len());
    for (path, v) in items {
        let mut f = element(path, v)?;
        names.push(f.required_string("name", 5000)?);
        f.finish()?;
    }
    Ok(Some(names))
}

fn package_dimensions(p: &mut Params) -> StripeResult<Option<Option<PackageDimensions>>> {
    let Some(obj) = p.object("package_dimensions")? else {
        return Ok(None);
    };
    let Some(mut d) = obj else {
        return Ok(Some(None));
    };
    let dim = |d: &mut Params, k: &str| decimal(d, k, 2)?.ok_or_else(|| d.missing(k));
    let dims = PackageDimensions {
        height: dim(&mut d, "height")?,
        length: dim(&mut d, "length")?,
        weight: dim(&mut d, "weight")?,
        width: dim(&mut d, "width")?,
    };
    d.finish()?;
    Ok(Some(Some(dims)))
}

/// Build a product from create parameters (also used by `product_data`).
pub fn product_from(p: &mut Params, id: String, livemode: bool, now: i64) -> StripeResult<Product> {
    let name = p.required_string("name", 5000)?;
    Ok(Product {
        id,
        livemode,
        created: now,
        updated: now,
        active: p.bool("active")?.unwrap_or(true),
        name,
        description: p.string("description", 40000)?,
        images: images(p)?.unwrap_or_default(),
        marketing_features: marketing_features(p)?.unwrap_or_default(),
        metadata: new_metadata(p, "metadata")?,
        package_dimensions: package_dimensions(p)?.flatten(),
        shippable: p.bool("shippable")?,
        statement_descriptor: p.string("statement_descriptor", 22)?,
        tax_code: p.string("tax_code", 5000)?,
        unit_label: p.string("unit_label", 12)?,
        url: p.string("url", 5000)?,
        default_price: None,
    })
}

async fn create_product(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    let id = p
        .string("id", 5000)?
        .unwrap_or_else(|| ids::object_id("prod"));
    if p.has("default_price_data") {
        return Err(super::error::StripeError::invalid_request(
            "`default_price_data` is not supported by checkoutd yet: create the price with POST /v1/prices and `product`.",
            Some("default_price_data".into()),
        ));
    }
    let product = product_from(&mut p, id, ctx.scope.livemode, ctx.now)?;
    p.finish()?;
    let body = render(&product);
    let events = vec![created_event(&ctx, "product.created", &body)];
    resource::insert(
        &state,
        &ctx,
        KIND,
        (&product.id, product.created),
        &product,
        Index::default(),
        events,
    )
    .await?;
    Ok(Json(body))
}

async fn retrieve_product(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    p.finish()?;
    let product: Product = resource::load(&state, &ctx, KIND, "product", &id, None).await?;
    Ok(Json(render(&product)))
}

async fn update_product(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    let active = p.bool("active")?;
    let default_price = p.string("default_price", 5000)?;
    let description = p.emptyable_string("description", 40000)?;
    let images = images(&mut p)?;
    let features = marketing_features(&mut p)?;
    let metadata = super::params::metadata_patch(&mut p, "metadata")?;
    let name = p.string("name", 5000)?;
    let dims = package_dimensions(&mut p)?;
    let shippable = p.bool("shippable")?;
    let descriptor = p.string("statement_descriptor", 22)?;
    let tax_code = p.emptyable_string("tax_code", 5000)?;
    let unit_label = p.emptyable_string("unit_label", 12)?;
    let url = p.emptyable_string("url", 5000)?;
    p.finish()?;
    if let Some(price_id) = &default_price {
        let price: checkout_domain::catalog::Price = resource::load(
            &state,
            &ctx,
            super::prices::KIND,
            "price",
            price_id,
            Some("default_price"),
        )
        .await?;
        if price.product != id {
            return Err(super::error::StripeError::invalid_request(
                format!("The price `{price_id}` does not belong to the product `{id}`."),
                Some("default_price".into()),
            ));
        }
    }
    let now = ctx.now;
    let product = resource::modify(&state, &ctx, KIND, "product", &id, |mut prod: Product| {
        let before = render(&prod);
        if let Some(v) = active {
            prod.active = v;
        }
        if let Some(v) = &default_price {
            prod.default_price = Some(v.clone());
        }
        if let Some(v) = &description {
            prod.description = v.clone();
        }
        if let Some(v) = &images {
            prod.images = v.clone();
        }
        if let Some(v) = &features {
            prod.marketing_features = v.clone();
        }
        if let Some(patch) = &metadata {
            prod.metadata = checkout_domain::metadata::apply("metadata", &prod.metadata, patch)?;
        }
        if let Some(v) = &name {
            prod.name = v.clone();
        }
        if let Some(v) = &dims {
            prod.package_dimensions = v.clone();
        }
        if let Some(v) = shippable {
            prod.shippable = Some(v);
        }
        if let Some(v) = &descriptor {
            prod.statement_descriptor = Some(v.clone());
        }
        if let Some(v) = &tax_code {
            prod.tax_code = v.clone();
        }
        if let Some(v) = &unit_label {
            prod.unit_label = v.clone();
        }
        if let Some(v) = &url {
            prod.url = v.clone();
        }
        prod.updated = now;
        let event = updated_event(&ctx, "product.updated", &before, &render(&prod));
        Ok(resource::Modified::new(prod, Index::default(), vec![event]))
    })
    .await?;
    Ok(Json(render(&product)))
}

async fn list_products(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    StripeParams(mut p): StripeParams,
) -> StripeResult<Json<Value>> {
    Expand::read(&mut p, &[])?;
    let query = list::query(&mut p, KIND, true)?;
    let active = p.bool("active")?;
    let shippable = p.bool("shippable")?;
    let ids_filter = super::params::id_list(&mut p, "ids")?;
    let url = p.string("url", 5000)?;
    p.finish()?;
    let (items, has_more) = resource::list(&state, &ctx, query, "product", |prod: &Product| {
        active.is_none_or(|a| prod.active == a)
            && shippable.is_none_or(|s| prod.shippable == Some(s))
            && ids_filter.as_ref().is_none_or(|ids| ids.contains(&prod.id))
            && url.as_ref().is_none_or(|u| prod.url.as_ref() == Some(u))
    })
    .await?;
    Ok(Json(list::envelope(
        items.iter().map(render).collect(),
        has_more,
        "/v1/products",
    )))
}
