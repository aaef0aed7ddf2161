//! The JSON store (Go `encoding/json` output), and the binary store that wraps a whole file.
use super::Store;

/// The JSON store.
pub struct JsonStore { indent: i32 }
impl JsonStore {
    /// A JSON store with `indent` (-1 = tab).
    pub fn new(indent: i32) -> Self { JsonStore { indent } }
}
/// The binary store.
pub struct BinaryStore { indent: i32 }
impl BinaryStore {
    /// A binary store whose JSON wrapper uses `indent`.
    pub fn new(indent: i32) -> Self { BinaryStore { indent } }
}
impl Store for JsonStore {
    fn load_plain(&self, _: &[u8]) -> Result<crate::tree::Tree, crate::Error> { todo!() }
    fn load_encrypted(&self, _: &[u8]) -> Result<(crate::tree::Tree, crate::tree::Mapping), crate::Error> { todo!() }
    fn emit_plain(&self, _: &crate::tree::Tree) -> Result<Vec<u8>, crate::Error> { let _ = self.indent; todo!() }
    fn emit_encrypted(&self, _: &crate::tree::Tree, _: &crate::Metadata) -> Result<Vec<u8>, crate::Error> { todo!() }
    fn emit_value(&self, _: &crate::tree::Node) -> Result<Vec<u8>, crate::Error> { todo!() }
}
impl Store for BinaryStore {
    fn load_plain(&self, _: &[u8]) -> Result<crate::tree::Tree, crate::Error> { todo!() }
    fn load_encrypted(&self, _: &[u8]) -> Result<(crate::tree::Tree, crate::tree::Mapping), crate::Error> { todo!() }
    fn emit_plain(&self, _: &crate::tree::Tree) -> Result<Vec<u8>, crate::Error> { let _ = self.indent; todo!() }
    fn emit_encrypted(&self, _: &crate::tree::Tree, _: &crate::Metadata) -> Result<Vec<u8>, crate::Error> { todo!() }
    fn emit_value(&self, _: &crate::tree::Node) -> Result<Vec<u8>, crate::Error> { todo!() }
}
