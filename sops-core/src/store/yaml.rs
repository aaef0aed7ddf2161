//! The YAML store.
use super::Store;

/// The JSON store.
pub struct YamlStore { indent: usize }
impl YamlStore {
    /// A JSON store with `indent` (-1 = tab).
    pub fn new(indent: usize) -> Self { YamlStore { indent } }
}
impl Store for YamlStore {
    fn load_plain(&self, _: &[u8]) -> Result<crate::tree::Tree, crate::Error> { todo!() }
    fn load_encrypted(&self, _: &[u8]) -> Result<(crate::tree::Tree, crate::tree::Mapping), crate::Error> { todo!() }
    fn emit_plain(&self, _: &crate::tree::Tree) -> Result<Vec<u8>, crate::Error> { let _ = self.indent; todo!() }
    fn emit_encrypted(&self, _: &crate::tree::Tree, _: &crate::Metadata) -> Result<Vec<u8>, crate::Error> { todo!() }
    fn emit_value(&self, _: &crate::tree::Node) -> Result<Vec<u8>, crate::Error> { todo!() }
}
