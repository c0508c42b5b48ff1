//! The tables' key schema, for the emulator and for first runs outside SAM. Mirrors
//! `infra/template.yaml`: a string hash key `pk`, on-demand billing, TTL on `ttl`.

use super::TableNames;
use crate::Error;
use crate::adapters::sdk_error;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

/// Creates the tables with their indexes and turns on their TTL.
pub async fn create_tables(client: &Client, names: &TableNames) -> Result<(), Error> {
    for table in [&names.users, &names.sessions, &names.audit, &names.counters] {
        let key = KeySchemaElement::builder()
            .attribute_name("pk")
            .key_type(KeyType::Hash)
            .build()
            .map_err(super::build_err)?;
        let attr = AttributeDefinition::builder()
            .attribute_name("pk")
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(super::build_err)?;
        let mut create = client
            .create_table()
            .table_name(table)
            .key_schema(key)
            .attribute_definitions(attr)
            .billing_mode(BillingMode::PayPerRequest);
        if table == &names.sessions {
            create = with_by_user_index(create)?;
        }
        if table == &names.users {
            create = with_locks_index(create)?;
        }
        create
            .send()
            .await
            .map_err(|e| sdk_error("dynamodb CreateTable", e))?;
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name("ttl")
            .enabled(true)
            .build()
            .map_err(super::build_err)?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|e| sdk_error("dynamodb UpdateTimeToLive", e))?;
    }
    Ok(())
}

/// The sparse `byUser` index of the sessions table: hash `byUser`, range `createdAt`.
fn with_by_user_index(create: CreateTableFluentBuilder) -> Result<CreateTableFluentBuilder, Error> {
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(super::build_err)
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(super::build_err)
    };
    let index = GlobalSecondaryIndex::builder()
        .index_name(super::sessions::BY_USER_INDEX)
        .key_schema(key(super::sessions::BY_USER_INDEX, KeyType::Hash)?)
        .key_schema(key("createdAt", KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(super::build_err)?;
    Ok(create
        .attribute_definitions(attr(super::sessions::BY_USER_INDEX)?)
        .attribute_definitions(attr("createdAt")?)
        .global_secondary_indexes(index))
}

/// The sparse indexes of the users table: `locksByUntil` (hash `lockShard`, range
/// `lockUntilEpoch`) and `unverifiedByCreation` (hash `unverifiedShard`, range `createdEpoch`).
fn with_locks_index(create: CreateTableFluentBuilder) -> Result<CreateTableFluentBuilder, Error> {
    let attr = |name: &str, kind| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .map_err(super::build_err)
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(super::build_err)
    };
    let index = GlobalSecondaryIndex::builder()
        .index_name(super::guards::LOCKS_INDEX)
        .key_schema(key("lockShard", KeyType::Hash)?)
        .key_schema(key("lockUntilEpoch", KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(super::build_err)?;
    let unverified = GlobalSecondaryIndex::builder()
        .index_name(super::users::UNVERIFIED_INDEX)
        .key_schema(key("unverifiedShard", KeyType::Hash)?)
        .key_schema(key("createdEpoch", KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(super::build_err)?;
    Ok(create
        .attribute_definitions(attr("unverifiedShard", ScalarAttributeType::S)?)
        .attribute_definitions(attr("createdEpoch", ScalarAttributeType::N)?)
        .global_secondary_indexes(unverified)
        .attribute_definitions(attr("lockShard", ScalarAttributeType::S)?)
        .attribute_definitions(attr("lockUntilEpoch", ScalarAttributeType::N)?)
        .global_secondary_indexes(index))
}
