//! `/v1/products`: create, retrieve, update, list.

use super::context::Ctx;
use super::error::{StripeError, StripeResult};
use super::form::{element, Params};
use super::kit::{self, FromParams, Resource};
use super::params::{decimal, id_list, metadata_patch, new_metadata};
use crate::app::catalog::{self, catalog_object, patch_fields, patch_metadata, Filter, Patch};
use crate::http::AppState;
use crate::ids;
use axum::routing::get;
use axum::Router;
use checkout_domain::catalog::{PackageDimensions, Price, Product};
use checkout_domain::metadata::MetadataPatch;
use checkout_domain::DomainResult;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{json, Value};

pub const KIND: &str = "product";

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    type T = Product;
    Router::new()
        .route(
            "/v1/products",
            get(kit::list_objects::<T>).post(kit::create_object::<T>),
        )
        .route(
            "/v1/products/{id}",
            get(kit::retrieve_object::<T>).post(kit::update_object::<T>),
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
            return Err(StripeError::invalid_request(
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

catalog_object!(Product {
    kind: KIND,
    object: "product",
    events: true,
    render: render
});

/// Create parameters: the product itself.
impl FromParams for Product {
    fn from_params(p: &mut Params, ctx: &Ctx) -> StripeResult<Self> {
        let id = p
            .string("id", 5000)?
            .unwrap_or_else(|| ids::object_id("prod"));
        if p.has("default_price_data") {
            return Err(StripeError::invalid_request(
                "`default_price_data` is not supported by checkoutd yet: create the price with POST /v1/prices and `product`.",
                Some("default_price_data".into()),
            ));
        }
        product_from(p, id, ctx.scope.livemode, ctx.now)
    }
}

/// Update parameters, each typed as the field it sets.
pub struct ProductPatch {
    active: Option<bool>,
    default_price: Option<Option<String>>,
    description: Option<Option<String>>,
    images: Option<Vec<String>>,
    marketing_features: Option<Vec<String>>,
    metadata: Option<MetadataPatch>,
    name: Option<String>,
    package_dimensions: Option<Option<PackageDimensions>>,
    shippable: Option<Option<bool>>,
    statement_descriptor: Option<Option<String>>,
    tax_code: Option<Option<String>>,
    unit_label: Option<Option<String>>,
    url: Option<Option<String>>,
}

impl FromParams for ProductPatch {
    fn from_params(p: &mut Params, _: &Ctx) -> StripeResult<Self> {
        Ok(Self {
            active: p.bool("active")?,
            default_price: p.string("default_price", 5000)?.map(Some),
            description: p.emptyable_string("description", 40000)?,
            images: images(p)?,
            marketing_features: marketing_features(p)?,
            metadata: metadata_patch(p, "metadata")?,
            name: p.string("name", 5000)?,
            package_dimensions: package_dimensions(p)?,
            shippable: p.bool("shippable")?.map(Some),
            statement_descriptor: p.string("statement_descriptor", 22)?.map(Some),
            tax_code: p.emptyable_string("tax_code", 5000)?,
            unit_label: p.emptyable_string("unit_label", 12)?,
            url: p.emptyable_string("url", 5000)?,
        })
    }
}

impl Patch<Product> for ProductPatch {
    fn apply(&self, prod: &mut Product, now: i64) -> DomainResult<()> {
        patch_fields!(prod, self; active, default_price, description, images,
            marketing_features, name, package_dimensions, shippable,
            statement_descriptor, tax_code, unit_label, url);
        patch_metadata(&mut prod.metadata, &self.metadata)?;
        prod.updated = now;
        Ok(())
    }
}

/// List filters.
pub struct ProductFilter {
    active: Option<bool>,
    shippable: Option<bool>,
    ids: Option<Vec<String>>,
    url: Option<String>,
}

impl FromParams for ProductFilter {
    fn from_params(p: &mut Params, _: &Ctx) -> StripeResult<Self> {
        Ok(Self {
            active: p.bool("active")?,
            shippable: p.bool("shippable")?,
            ids: id_list(p, "ids")?,
            url: p.string("url", 5000)?,
        })
    }
}

impl Filter<Product> for ProductFilter {
    fn keep(&self, prod: &Product) -> bool {
        self.active.is_none_or(|a| prod.active == a)
            && self.shippable.is_none_or(|s| prod.shippable == Some(s))
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&prod.id))
            && self
                .url
                .as_ref()
                .is_none_or(|u| prod.url.as_ref() == Some(u))
    }
}

#[async_trait::async_trait]
impl Resource for Product {
    const PATH: &'static str = "/v1/products";
    type In = Product;
    type Patch = ProductPatch;
    type Filter = ProductFilter;

    async fn build(_: &AppState, _: &Ctx, product: Product) -> StripeResult<Product> {
        Ok(product)
    }

    /// A `default_price` must be a price of this product.
    async fn check(
        state: &AppState,
        ctx: &Ctx,
        id: &str,
        patch: &ProductPatch,
    ) -> StripeResult<()> {
        let Some(Some(price_id)) = &patch.default_price else {
            return Ok(());
        };
        let price: Price =
            catalog::retrieve(&*state.store, ctx, price_id, Some("default_price")).await?;
        if price.product != id {
            return Err(StripeError::invalid_request(
                format!("The price `{price_id}` does not belong to the product `{id}`."),
                Some("default_price".into()),
            ));
        }
        Ok(())
    }
}
