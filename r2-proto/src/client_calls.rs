//! The single-request calls every client offers, written once for the
//! async and the blocking adapters: each sends one operation with retries
//! and reads its answer whole.

/// The calls of `client.objects()` that send one operation: `put`, `get`,
/// `head`, `delete`, `delete_objects`, `copy` and `list`. For an impl
/// block of a struct with a field `client` whose `send` runs an operation:
/// `object_calls!(async)` or `object_calls!(blocking)`.
#[doc(hidden)]
#[macro_export]
macro_rules! object_calls {
    ($mode:ident) => {
        $crate::__single_calls! { $mode;
            /// Stores an object from bytes in memory (up to 5 GiB; `upload`
            /// takes larger ones, in parts).
            put(PutObject) -> $crate::ops::PutObjectOutput;
            /// Reads an object (or a range) whole into memory, its length
            /// and, for a whole single-part object, its MD5 and checksum verified.
            get(GetObject) -> $crate::ops::GetObjectOutput;
            /// Reads an object's metadata.
            head(HeadObject) -> $crate::model::ObjectMetadata;
            /// Whether an object exists (a HEAD whose `404` is `false`).
            exists(ObjectExists) -> bool;
            /// Deletes an object (succeeds when it does not exist).
            delete(DeleteObject) -> ();
            /// Deletes up to 1000 objects in one request; per-key failures
            /// are in the output.
            delete_objects(DeleteObjects) -> $crate::ops::DeleteObjectsOutput;
            /// Copies an object on the server side.
            copy(CopyObject) -> $crate::ops::CopyObjectOutput;
            /// One page of a listing.
            list(ListObjectsV2) -> $crate::ops::ListObjectsV2Output;
        }
    };
}

/// The multipart upload calls one by one, as `client.multipart()` offers
/// them (most callers want `upload`, which runs them concurrently, retries
/// parts and resumes): `multipart_calls!(async)` or
/// `multipart_calls!(blocking)`, as for [`object_calls!`].
#[doc(hidden)]
#[macro_export]
macro_rules! multipart_calls {
    ($mode:ident) => {
        $crate::__single_calls! { $mode;
            /// Starts an upload; its id names it in every later call.
            create(CreateMultipartUpload) -> $crate::ops::CreateMultipartUploadOutput;
            /// Uploads one part (all parts but the last must have the same
            /// size on R2).
            upload_part(UploadPart) -> $crate::ops::UploadPartOutput;
            /// Joins the parts into the object.
            complete(CompleteMultipartUpload) -> $crate::ops::CompleteMultipartUploadOutput;
            /// Abandons an upload and frees its parts.
            abort(AbortMultipartUpload) -> ();
            /// One page of the parts uploaded so far.
            list_parts(ListParts) -> $crate::ops::ListPartsOutput;
            /// One page of the uploads in progress in a bucket.
            list_uploads(ListMultipartUploads) -> $crate::ops::ListMultipartUploadsOutput;
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __single_calls {
    (async; $($(#[$doc:meta])* $name:ident($op:ident) -> $out:ty;)*) => {
        $(
            $(#[$doc])*
            pub async fn $name(
                &self,
                operation: $crate::ops::$op,
            ) -> ::core::result::Result<$out, $crate::error::R2Error> {
                self.client.send(operation).await
            }
        )*
    };
    (blocking; $($(#[$doc:meta])* $name:ident($op:ident) -> $out:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(
                &self,
                operation: $crate::ops::$op,
            ) -> ::core::result::Result<$out, $crate::error::R2Error> {
                self.client.send(operation)
            }
        )*
    };
}
