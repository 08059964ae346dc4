//! Event handlers: a Python callable (`def` or `async def`) as an `authcore::events::EventHandler`. It receives
//! the event as a dict, camelCase as the core serialises it (`id`, `name`, `time`, `tenantId`, `userId` and the
//! message fields). A raised exception is logged on the `authcore` logger (event id and name, with the traceback,
//! never the payload) and recorded by the core, which redelivers the event later; it never reaches the caller.

use async_trait::async_trait;
use authcore::events::{Event, EventHandler, EventName};
use authcore::{AuthError, Result};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::sync::Arc;

use crate::error::describe;
use crate::runtime;
use crate::types::value_to_py;

pub struct PyEventHandler {
    callable: Py<PyAny>,
}

fn report(event: &Event, err: &PyErr) -> AuthError {
    Python::attach(|py| {
        let logged = (|| -> PyResult<()> {
            let logger = py
                .import("logging")?
                .call_method1("getLogger", ("authcore",))?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("exc_info", err.clone_ref(py).into_value(py))?;
            logger.call_method(
                "error",
                (
                    "authcore event handler failed for %s event %s; it stays pending and will be redelivered",
                    event.name.as_str(),
                    &event.id,
                ),
                Some(&kwargs),
            )?;
            Ok(())
        })();
        if let Err(e) = logged {
            e.write_unraisable(py, None);
        }
        AuthError::host(describe(py, err))
    })
}

#[async_trait]
impl EventHandler for PyEventHandler {
    async fn handle(&self, event: &Event) -> Result<()> {
        let value = authcore::json::to_value(event)?;
        runtime::off_the_loop().await;
        let returned = Python::attach(|py| -> PyResult<Py<PyAny>> {
            let arg = value_to_py(py, &value)?;
            Ok(self.callable.bind(py).call1((arg,))?.unbind())
        })
        .map_err(|e| report(event, &e))?;
        let out = runtime::resolve(returned)
            .await
            .map_err(|e| report(event, &e))?;
        Python::attach(move |_| drop(out));
        Ok(())
    }
}

/// Registers `events={"signIn": handler, "*": handler, "session": [h1, h2]}` on the builder.
pub fn register(
    mut builder: authcore::AuthCoreBuilder,
    events: &Bound<'_, PyDict>,
) -> PyResult<authcore::AuthCoreBuilder> {
    for (k, v) in events.iter() {
        let key: String = k.extract()?;
        let handlers: Vec<Bound<'_, PyAny>> = match v.cast::<PyList>() {
            Ok(l) => l.iter().collect(),
            Err(_) => vec![v],
        };
        for h in handlers {
            if !h.is_callable() {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "the handler for event {key:?} is not callable"
                )));
            }
            let handler = Arc::new(PyEventHandler {
                callable: h.unbind(),
            });
            builder = if key == "*" {
                builder.on_any_event(handler)
            } else {
                let name = EventName::parse(&key).ok_or_else(|| {
                    let known: Vec<&str> = EventName::ALL.iter().map(|n| n.as_str()).collect();
                    crate::error::to_pyerr(
                        events.py(),
                        authcore::AuthError::invalid(
                            "events",
                            format!("unknown event {key:?}; known: \"*\", {}", known.join(", ")),
                        ),
                    )
                })?;
                builder.on_event(name, handler)
            };
        }
    }
    Ok(builder)
}
