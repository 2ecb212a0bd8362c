//! Pre-initialization: run a plugin's `init` once, at install, and keep what it left in
//! the instance (linear memory and mutable globals) as the starting state of every later
//! instance.
//!
//! This is Wizer's technique, with the `wasmtime-wizer` crate doing the component surgery:
//! [`instrument`] adds an export through which the state can be read back, the host
//! instantiates that component and calls `init` under the plugin's limits (in
//! [`super::Sandbox::prepare`]), and [`take`] reads the state and writes it into a new
//! component as data segments and global initializers. Every call then starts from a fresh
//! instance of that component: the same clean state each time, with init already paid.
//!
//! `wasmtime-wizer` is used without its `wasmtime` feature, which would switch on async,
//! threads, GC and the compilation cache for the whole engine: its small
//! [`ComponentInstanceState`] trait is implemented here on the host's own synchronous
//! store instead.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use wasmtime::Store;
use wasmtime::component::{Instance, Lift, WasmList};
use wasmtime_wizer::{ComponentContext, ComponentInstanceState, Wizer};

use super::HostState;

/// The Wizer settings: the plugin's `init` is run by the host itself (with an argument,
/// which Wizer's own runner cannot pass), and stays exported so the snapshot still
/// implements its world.
fn wizer() -> Wizer {
    let mut wizer = Wizer::new();
    wizer.init_func("init").keep_init_func(true);
    wizer
}

/// The component with an extra export that reads its state back, and what [`take`] needs
/// to rewrite it.
pub(super) fn instrument(bytes: &[u8]) -> wasmtime::Result<(ComponentContext<'_>, Vec<u8>)> {
    wizer().instrument_component(bytes)
}

/// The state of `instance` (an instance of the instrumented component) written into a new
/// component.
pub(super) fn take(
    cx: &ComponentContext<'_>,
    store: &mut Store<HostState>,
    instance: Instance,
) -> wasmtime::Result<Vec<u8>> {
    let mut access = Access {
        store,
        instance,
        failure: None,
    };
    let snapshot = now(wizer().snapshot_component(cx, &mut access))?;
    if let Some(failure) = access.failure {
        return Err(failure);
    }
    snapshot
}

/// Wizer reads the state through calls that cannot fail in its trait; the first failure
/// is kept here (and the call answers a placeholder) so the snapshot is refused rather
/// than written from placeholders.
struct Access<'a> {
    store: &'a mut Store<HostState>,
    instance: Instance,
    failure: Option<wasmtime::Error>,
}

impl Access<'_> {
    fn call<R: Lift + 'static, O: Default>(
        &mut self,
        instance: &str,
        func: &str,
        use_result: impl FnOnce(&Store<HostState>, R) -> O,
    ) -> O {
        if self.failure.is_some() {
            return O::default();
        }
        match self.try_call(instance, func) {
            Ok(value) => use_result(self.store, value),
            Err(err) => {
                self.failure = Some(err);
                O::default()
            }
        }
    }

    fn try_call<R: Lift + 'static>(&mut self, instance: &str, func: &str) -> wasmtime::Result<R> {
        let missing =
            || wasmtime::format_err!("the instrumented component lacks `{instance}#{func}`");
        let (_, outer) = self
            .instance
            .get_export(&mut *self.store, None, instance)
            .ok_or_else(missing)?;
        let (_, index) = self
            .instance
            .get_export(&mut *self.store, Some(&outer), func)
            .ok_or_else(missing)?;
        let func = self
            .instance
            .get_typed_func::<(), (R,)>(&mut *self.store, index)?;
        Ok(func.call(&mut *self.store, ())?.0)
    }
}

impl ComponentInstanceState for Access<'_> {
    async fn call_func_ret_list_u8(
        &mut self,
        instance: &str,
        func: &str,
        contents: impl FnOnce(&[u8]) + Send,
    ) {
        self.call(instance, func, |store, list: WasmList<u8>| {
            contents(list.as_le_slice(store))
        })
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func, |_, value| value)
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func, |_, value| value)
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call(instance, func, |_, value: f32| value.to_bits())
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call(instance, func, |_, value: f64| value.to_bits())
    }
}

/// Polls a future that never waits: every call [`Access`] makes is synchronous, so
/// Wizer's snapshot completes on its first poll. No executor is needed for that, and a
/// future that did wait would be a bug reported as an error, not a hang.
fn now<F: Future>(future: F) -> wasmtime::Result<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Ok(output),
        Poll::Pending => Err(wasmtime::format_err!(
            "the snapshot waited on something: nothing here should"
        )),
    }
}
