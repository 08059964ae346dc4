//! Conversions between Python objects and the core's JSON, and `Record`, the result object.
//!
//! Results cross as the core's camelCase JSON. A `Record` wraps it without converting: attribute access takes
//! snake_case (`r.created_new_user` reads `createdNewUser`), nested objects come back as `Record`s sharing the
//! same JSON, and `to_dict()` gives the camelCase dict the scenario runner compares.

use std::sync::Arc;

use pyo3::exceptions::{PyAttributeError, PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// How dict keys are read from Python.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// As given (user data: `access_token_payload`, user-context values, config).
    Verbatim,
    /// snake_case keys become camelCase (structured inputs such as `email={"id", "is_verified"}`); already
    /// camelCase keys are unchanged. The subtree of `accessTokenPayload` is user data and stays verbatim.
    Camel,
}

/// `is_verified` -> `isVerified` (the core's rule); a key without `_` is returned as is. A key the core's serde
/// renames keeps the core's spelling: `redirect_uri_info` -> `redirectURIInfo`, not `redirectUriInfo`.
pub fn camel(key: &str) -> String {
    if !key.contains('_') {
        return key.to_string();
    }
    if let Some(renamed) = renamed_keys().get(key) {
        return renamed.clone();
    }
    authcore::ops::camel_case(key)
}

/// The JSON keys of the core's schema that the plain rule does not give back from their snake_case form (serde
/// renames that keep an acronym: `redirectURIInfo`, `fromUserInfoAPI`, `forcePKCE`), by that snake_case form.
fn renamed_keys() -> &'static std::collections::HashMap<String, String> {
    static RENAMED: std::sync::OnceLock<std::collections::HashMap<String, String>> =
        std::sync::OnceLock::new();
    RENAMED.get_or_init(|| {
        fn collect(v: &Value, out: &mut std::collections::HashMap<String, String>) {
            match v {
                Value::Object(o) => {
                    if let Some(Value::Object(props)) = o.get("properties") {
                        // camelCase keys only (a snake_case key of the schema is not a rename).
                        for k in props.keys().filter(|k| !k.contains('_')) {
                            let s = snake(k);
                            if authcore::ops::camel_case(&s) != *k {
                                out.insert(s, k.clone());
                            }
                        }
                    }
                    o.values().for_each(|x| collect(x, out));
                }
                Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
                _ => {}
            }
        }
        let mut out = std::collections::HashMap::new();
        collect(&authcore::schema::schema(), &mut out);
        out
    })
}

/// `isVerified` -> `is_verified`; a run of capitals is one word (`signInUpPOST` -> `sign_in_up_post`,
/// `getRedirectionURL` -> `get_redirection_url`), ended by a capital that starts a word (`redirectURIInfo` ->
/// `redirect_uri_info`): the rule of authcore-gen, which writes the `.pyi` signatures.
pub fn snake(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(key.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Keys whose value is data from the user or a provider, passed verbatim (never re-cased): an access-token
/// payload, the provider's redirect query (`error_description`, `session_state`) and its tokens (`id_token`).
const FREE_FORM: [&str; 6] = [
    "accessTokenPayload",
    "access_token_payload",
    "redirectURIQueryParams",
    "redirect_uri_query_params",
    "oAuthTokens",
    "o_auth_tokens",
];

/// Whether the value under `key` is user or provider data, passed verbatim (see [`FREE_FORM`]).
pub fn is_free_form(key: &str) -> bool {
    FREE_FORM.contains(&key)
}

/// A Python object as JSON: None, bool, int, float, str, list/tuple, dict with str keys, `Record`.
/// Nesting deeper than the core's `MAX_JSON_DEPTH` (a cyclic dict included) is `INVALID_INPUT`, the same limit
/// as in every binding, instead of a stack overflow.
pub fn py_to_value(obj: &Bound<'_, PyAny>, keys: Keys) -> PyResult<Value> {
    py_to_value_at(obj, keys, 1)
}

fn py_to_value_at(obj: &Bound<'_, PyAny>, keys: Keys, depth: usize) -> PyResult<Value> {
    if depth > authcore::json::MAX_JSON_DEPTH {
        return Err(crate::error::to_pyerr(
            obj.py(),
            authcore::AuthError::invalid(
                "input",
                format!(
                    "nested deeper than {} levels (or cyclic)",
                    authcore::json::MAX_JSON_DEPTH
                ),
            ),
        ));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(PyValueError::new_err("integer out of the 64-bit range"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| PyValueError::new_err("NaN and infinities are not JSON"));
    }
    if let Ok(r) = obj.cast::<Record>() {
        return Ok(r.get().value().clone());
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let k = k
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err("dict keys must be strings"))?
                .to_cow()?
                .to_string();
            let free = FREE_FORM.contains(&k.as_str());
            let key = if keys == Keys::Camel { camel(&k) } else { k };
            let inner = if free { Keys::Verbatim } else { keys };
            map.insert(key, py_to_value_at(&v, inner, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return l
            .iter()
            .map(|v| py_to_value_at(&v, keys, depth + 1))
            .collect::<PyResult<_>>()
            .map(Value::Array);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t
            .iter()
            .map(|v| py_to_value_at(&v, keys, depth + 1))
            .collect::<PyResult<_>>()
            .map(Value::Array);
    }
    if let Ok(c) = obj.cast::<crate::context::PyUserContext>() {
        return Ok(Value::Object(c.get().json()));
    }
    Err(PyTypeError::new_err(format!(
        "{} is not JSON-serialisable",
        obj.get_type().name()?
    )))
}

/// Deep conversion to plain Python objects (dicts keep the JSON's keys).
pub fn value_to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Number(n) => number(py, n)?,
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Array(a) => {
            let items = a
                .iter()
                .map(|x| value_to_py(py, x))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, value_to_py(py, x)?)?;
            }
            d.into_any().unbind()
        }
    })
}

/// A copy whose object keys are snake_case (inputs handed to overrides in the shape callers pass them).
pub fn snake_value(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| {
                    let inner = if FREE_FORM.contains(&k.as_str()) {
                        x.clone()
                    } else {
                        snake_value(x)
                    };
                    (snake(k), inner)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(snake_value).collect()),
        other => other.clone(),
    }
}

fn number(py: Python<'_>, n: &Number) -> PyResult<Py<PyAny>> {
    if let Some(i) = n.as_i64() {
        Ok(i.into_pyobject(py)?.into_any().unbind())
    } else if let Some(u) = n.as_u64() {
        Ok(u.into_pyobject(py)?.into_any().unbind())
    } else {
        Ok(PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN))
            .into_any()
            .unbind())
    }
}

/// A core result as Python: objects become `Record`s (lazy), arrays lists, scalars Python scalars.
pub fn result_to_py(py: Python<'_>, v: Value) -> PyResult<Py<PyAny>> {
    match v {
        Value::Object(_) => Ok(Record::new(Arc::new(v), Vec::new())
            .into_pyobject(py)?
            .into_any()
            .unbind()),
        Value::Array(items) => {
            let root = Arc::new(Value::Array(items));
            let len = root.as_array().map(|a| a.len()).unwrap_or(0);
            let out = (0..len)
                .map(|i| node_to_py(py, &root, &[Seg::Index(i)]))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, out)?.into_any().unbind())
        }
        other => value_to_py(py, &other),
    }
}

#[derive(Clone, Debug)]
enum Seg {
    Key(Box<str>),
    Index(usize),
}

fn walk<'a>(root: &'a Value, path: &[Seg]) -> &'a Value {
    let mut v = root;
    for s in path {
        v = match (s, v) {
            (Seg::Key(k), Value::Object(o)) => o.get(&**k).unwrap_or(&Value::Null),
            (Seg::Index(i), Value::Array(a)) => a.get(*i).unwrap_or(&Value::Null),
            _ => &Value::Null,
        };
    }
    v
}

/// The node at `path` as Python: an object is a `Record` sharing `root`.
fn node_to_py(py: Python<'_>, root: &Arc<Value>, path: &[Seg]) -> PyResult<Py<PyAny>> {
    match walk(root, path) {
        Value::Object(_) => Ok(Record::new(root.clone(), path.to_vec())
            .into_pyobject(py)?
            .into_any()
            .unbind()),
        Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            let mut p = path.to_vec();
            for i in 0..a.len() {
                p.push(Seg::Index(i));
                out.push(node_to_py(py, root, &p)?);
                p.pop();
            }
            Ok(PyList::new(py, out)?.into_any().unbind())
        }
        scalar => value_to_py(py, scalar),
    }
}

/// A result object: the core's JSON with snake_case attribute access (`r.status`, `r.user.login_methods`),
/// camelCase item access (`r["recipeUserId"]`, snake_case accepted too) and `to_dict()`.
#[pyclass(frozen, module = "authcore", name = "Record", mapping)]
pub struct Record {
    root: Arc<Value>,
    path: Box<[Seg]>,
}

impl Record {
    fn new(root: Arc<Value>, path: Vec<Seg>) -> Self {
        Record {
            root,
            path: path.into_boxed_slice(),
        }
    }

    pub fn value(&self) -> &Value {
        walk(&self.root, &self.path)
    }

    fn object(&self) -> Option<&Map<String, Value>> {
        self.value().as_object()
    }

    /// The JSON key an attribute or item name refers to: as given, else its camelCase form.
    fn key_of(&self, name: &str) -> Option<String> {
        let o = self.object()?;
        if o.contains_key(name) {
            return Some(name.to_string());
        }
        let c = camel(name);
        o.contains_key(&c).then_some(c)
    }

    fn child(&self, py: Python<'_>, key: String) -> PyResult<Py<PyAny>> {
        let mut p = self.path.to_vec();
        p.push(Seg::Key(key.into_boxed_str()));
        node_to_py(py, &self.root, &p)
    }
}

#[pymethods]
impl Record {
    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        match self.key_of(name) {
            Some(k) if !name.starts_with("__") => self.child(py, k),
            _ => Err(PyAttributeError::new_err(format!(
                "'Record' object has no attribute '{name}'"
            ))),
        }
    }

    fn __getitem__(&self, py: Python<'_>, key: &str) -> PyResult<Py<PyAny>> {
        match self.key_of(key) {
            Some(k) => self.child(py, k),
            None => Err(PyKeyError::new_err(key.to_string())),
        }
    }

    fn __contains__(&self, key: &str) -> bool {
        self.key_of(key).is_some()
    }

    fn __len__(&self) -> usize {
        self.object().map(|o| o.len()).unwrap_or(0)
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let keys = self.keys();
        Ok(PyList::new(py, keys)?.call_method0("__iter__")?.unbind())
    }

    /// The value of `key` (camelCase or snake_case), or `default`.
    #[pyo3(signature = (key, default = None))]
    fn get(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        match self.key_of(key) {
            Some(k) => self.child(py, k),
            None => Ok(default.unwrap_or_else(|| py.None())),
        }
    }

    /// The camelCase keys, in the core's order.
    fn keys(&self) -> Vec<String> {
        self.object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn values(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        self.keys().into_iter().map(|k| self.child(py, k)).collect()
    }

    fn items(&self, py: Python<'_>) -> PyResult<Vec<(String, Py<PyAny>)>> {
        self.keys()
            .into_iter()
            .map(|k| Ok((k.clone(), self.child(py, k)?)))
            .collect()
    }

    /// The `status` field of a result (`AttributeError` on records without one, like a user).
    #[getter]
    fn status(&self) -> PyResult<String> {
        match self.object().and_then(|o| o.get("status")) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(PyAttributeError::new_err(
                "'Record' object has no attribute 'status'",
            )),
        }
    }

    /// A deep copy as plain dicts and lists, with the core's camelCase keys.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        value_to_py(py, self.value())
    }

    /// The core's JSON text.
    fn to_json(&self) -> String {
        self.value().to_string()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        if let Ok(r) = other.cast::<Record>() {
            return r.get().value() == self.value();
        }
        if other.is_instance_of::<PyDict>() {
            return py_to_value(other, Keys::Verbatim)
                .map(|v| &v == self.value())
                .unwrap_or(false);
        }
        false
    }

    fn __repr__(&self) -> String {
        format!("Record({})", self.value())
    }

    fn __dir__(&self) -> Vec<String> {
        let mut names: Vec<String> = self.keys().iter().map(|k| snake(k)).collect();
        for m in [
            "get", "items", "keys", "values", "to_dict", "to_json", "status",
        ] {
            names.push(m.to_string());
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::{camel, snake};

    #[test]
    fn key_case_round_trips() {
        for (s, c) in [
            ("is_verified", "isVerified"),
            ("third_party_user_id", "thirdPartyUserId"),
            ("id", "id"),
            ("_private", "_private"),
        ] {
            assert_eq!(camel(s), c);
            assert_eq!(camel(c), c);
            assert_eq!(snake(c), s);
        }
        assert_eq!(snake("signInUpPOST"), "sign_in_up_post");
        assert_eq!(snake("getRedirectionURL"), "get_redirection_url");
        for (s, c) in [
            ("redirect_uri_info", "redirectURIInfo"),
            (
                "redirect_uri_on_provider_dashboard",
                "redirectURIOnProviderDashboard",
            ),
            ("redirect_uri_query_params", "redirectURIQueryParams"),
            ("o_auth_tokens", "oAuthTokens"),
            ("from_user_info_api", "fromUserInfoAPI"),
        ] {
            assert_eq!(snake(c), s);
            assert_eq!(camel(s), c);
        }
    }
}
