//! Layer 1, model: what the files mean. Knowledge tables (credential formats,
//! permissions), the typed entities rules ask about (workloads and why each is an
//! agent, identities, credentials, grants, definitions), the extractors that build them
//! from documents and the resolution that joins them across files. Imports only
//! [`crate::syntax`].

pub mod accounts;
pub mod agent;
pub mod audit;
pub(crate) mod azure;
pub mod catalog;
pub(crate) mod cloud;
pub mod extract;
pub mod facts;
pub(crate) mod github;
pub mod grants;
pub mod harness;
pub mod iam;
pub mod identity;
pub(crate) mod infra;
pub(crate) mod keys;
pub mod knowledge;
pub mod modules;
pub mod names;
pub(crate) mod oauth;
pub mod people;
pub mod rating;
pub(crate) mod rbac;
pub mod resolve;
pub mod runtime;
pub mod scope;
pub mod settings;
pub mod trust;
