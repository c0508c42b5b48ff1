//! `SessionStore` on DynamoDB: sessions and refresh-token hashes in the sessions table.

use super::{DynamoStore, build_err, from_item, s, to_item};
use crate::Error;
use crate::adapters::sdk_error;
use crate::domain::{RefreshTokenRecord, Session, SessionId};
use crate::ports::SessionStore;
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn session_pk(id: &SessionId) -> String {
    format!("SESSION#{id}")
}

#[async_trait]
impl SessionStore for DynamoStore {
    async fn create_session(
        &self,
        session: &Session,
        refresh: &RefreshTokenRecord,
    ) -> Result<(), Error> {
        let table = &self.tables.sessions;
        let put = |item| {
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(build_err)
        };
        let session_put = put(to_item(
            session_pk(&session.id),
            session,
            Some(session.absolute_expires_at),
        )?)?;
        let refresh_put = put(to_item(
            format!("REFRESH#{}", refresh.hash.as_str()),
            refresh,
            Some(refresh.expires_at),
        )?)?;
        let items = vec![
            TransactWriteItem::builder().put(session_put).build(),
            TransactWriteItem::builder().put(refresh_put).build(),
        ];
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| sdk_error("dynamodb TransactWriteItems (create session)", e))?;
        Ok(())
    }

    async fn session(&self, id: &SessionId) -> Result<Option<Session>, Error> {
        self.get(&self.tables.sessions, session_pk(id))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn revoke_session(&self, id: &SessionId, now: OffsetDateTime) -> Result<(), Error> {
        let at = now
            .format(&Rfc3339)
            .map_err(|e| Error::internal(format!("formatting a time: {e}")))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.sessions)
            .key("pk", s(session_pk(id)))
            .update_expression("SET revokedAt = if_not_exists(revokedAt, :now)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", AttributeValue::S(at))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Revoking a session that does not exist leaves nothing to revoke.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_error("dynamodb UpdateItem (revoke session)", e)),
        }
    }
}
