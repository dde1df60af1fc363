//! The one place where a core error becomes a JavaScript error.

use napi::bindgen_prelude::JsObjectValue;
use napi::{Env, Error, JsValue, Status};
use netns_core::{Error as CoreError, Subject};

/// Maps a core error to a JS `Error` carrying `code`, `errno`, `syscall`, `path`/`fd`/`target`,
/// the kernel's `detail` when it gave one, and
/// `netnsKind` (which tells the facade which exported class to make of it).
pub fn to_js(env: &Env, e: CoreError) -> Error {
    build(env, &e).unwrap_or_else(|fallback| fallback)
}

fn build(env: &Env, e: &CoreError) -> napi::Result<Error> {
    let mut obj = env.create_error(Error::new(Status::GenericFailure, e.to_string()))?;
    let (code, kind, path) = match e {
        CoreError::Sys { errno, .. } => (format!("{errno:?}"), "system", None),
        CoreError::PathNotExist { path } => ("ERR_NETNS_PATH_NOT_EXIST".into(), "pathNotExist", Some(path)),
        CoreError::PathNotNs { path, .. } => ("ERR_NETNS_PATH_NOT_NS".into(), "pathNotNs", Some(path)),
        CoreError::WrongType { path, .. } => ("ERR_NETNS_WRONG_TYPE".into(), "wrongType", Some(path)),
        CoreError::InvalidName { .. } => ("ERR_NETNS_INVALID_NAME".into(), "invalidName", None),
    };
    obj.set_named_property("code", code)?;
    obj.set_named_property("netnsKind", kind)?;
    if let Some(path) = path {
        obj.set_named_property("path", path.to_string_lossy().into_owned())?;
    }
    match e {
        CoreError::Sys { errno, syscall, subject, detail } => {
            // Node's system errors carry the negated errno (libuv's convention).
            obj.set_named_property("errno", -(*errno as i32))?;
            obj.set_named_property("syscall", *syscall)?;
            match subject {
                Subject::None => {}
                Subject::Path(p) => obj.set_named_property("path", p.to_string_lossy().into_owned())?,
                Subject::Fd(fd) => obj.set_named_property("fd", *fd)?,
                Subject::Name(n) => obj.set_named_property("target", n.as_str())?,
            }
            if let Some(text) = detail {
                obj.set_named_property("detail", text.as_str())?;
            }
        }
        CoreError::WrongType { nstype, .. } => obj.set_named_property("nstype", *nstype)?,
        _ => {}
    }
    Ok(Error::from(obj.to_unknown()))
}
