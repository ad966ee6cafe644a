//! The catalog service (products, prices, tax rates, shipping rates,
//! webhook endpoints): see the catalog-kit work.
