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
        let s = || ScalarAttributeType::S;
        let n = || ScalarAttributeType::N;
        if table == &names.sessions {
            create = with_indexes(
                create,
                vec![index(
                    super::sessions::BY_USER_INDEX,
                    ("byUser", s()),
                    ("createdAt", s()),
                )?],
            );
        }
        if table == &names.users {
            create = with_indexes(
                create,
                vec![
                    index(
                        super::guards::LOCKS_INDEX,
                        ("lockShard", s()),
                        ("lockUntilEpoch", n()),
                    )?,
                    index(
                        super::users::UNVERIFIED_INDEX,
                        ("unverifiedShard", s()),
                        ("createdEpoch", n()),
                    )?,
                ],
            );
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

/// A global secondary index with hash and range keys, projecting everything, and the attribute
/// definitions its keys need.
fn index(
    name: &str,
    hash: (&str, ScalarAttributeType),
    range: (&str, ScalarAttributeType),
) -> Result<(GlobalSecondaryIndex, [AttributeDefinition; 2]), Error> {
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(super::build_err)
    };
    let attr = |(name, kind): (&str, ScalarAttributeType)| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .map_err(super::build_err)
    };
    let gsi = GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(hash.0, KeyType::Hash)?)
        .key_schema(key(range.0, KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(super::build_err)?;
    Ok((gsi, [attr(hash)?, attr(range)?]))
}

/// The sparse indexes of each table (only the items that carry an index's hash key enter it).
fn with_indexes(
    mut create: CreateTableFluentBuilder,
    indexes: Vec<(GlobalSecondaryIndex, [AttributeDefinition; 2])>,
) -> CreateTableFluentBuilder {
    for (gsi, attrs) in indexes {
        create = create.global_secondary_indexes(gsi);
        for attr in attrs {
            create = create.attribute_definitions(attr);
        }
    }
    create
}
