//! An image set opened once and read one platform at a time: the store
//! (archive or layout), the images a tag picks out, and for the chosen one
//! its layers merged bottom first into a [`Tree`].

use crate::error::AuditError;
use crate::layer::{self, LayerFacts};
use crate::platform::Platform;
use crate::select::{self, Candidate};
use crate::store::Store;
use crate::tree::{Tree, Wanted};
use crate::ImageRef;

/// An image archive or layout, opened: which images it holds for the tag
/// asked for. A platform's layers are read when asked for
/// ([`ImageSet::inventory`], [`crate::diff()`]).
pub struct ImageSet {
    image: ImageRef,
    store: Store,
    candidates: Vec<Candidate>,
}

/// One platform's image, read.
pub(crate) struct ReadImage {
    /// The image as given (path, and `:TAG` if any).
    pub source: String,
    pub platform: Platform,
    /// Every platform of the set.
    pub available: Vec<Platform>,
    pub manifest: Option<String>,
    /// The name it is tagged with.
    pub ref_name: Option<String>,
    /// The config's `created`.
    pub created: Option<String>,
    /// Who made the image (`org.opencontainers.image.vendor`).
    pub vendor: Option<String>,
    /// The recipe contents whittle recorded, if any.
    pub recipe_contents: Option<String>,
    /// The layers as read, bottom first.
    pub layers: Vec<LayerFacts>,
    pub tree: Tree,
    /// What could not be read fully (a database larger than the limit).
    pub notes: Vec<String>,
}

impl ImageSet {
    /// Open `image` and list the images its tag picks out. Errors name the
    /// image and the file in it that is missing or malformed.
    pub fn open(image: &ImageRef) -> Result<ImageSet, AuditError> {
        let store = Store::open(&image.path)?;
        let candidates = select::candidates(&store, image.tag.as_deref())?;
        Ok(ImageSet {
            image: image.clone(),
            store,
            candidates,
        })
    }

    /// The image as given.
    pub fn image(&self) -> &ImageRef {
        &self.image
    }

    /// The platforms of the images, in the order the image lists them.
    pub fn platforms(&self) -> Vec<Platform> {
        self.candidates.iter().map(|c| c.platform.clone()).collect()
    }

    /// The platform that is read for `wanted`: the one asked for, else
    /// the only one, else the host's.
    pub fn choose(&self, wanted: Option<&Platform>) -> Result<Platform, AuditError> {
        let i = select::choose(&self.store, &self.candidates, wanted)?;
        Ok(self.candidates[i].platform.clone())
    }

    /// Read the image for `wanted` (see [`ImageSet::choose`]), every layer
    /// streamed and checked against its digests, keeping what `keep` asks.
    pub(crate) fn read(
        &self,
        wanted: Option<&Platform>,
        keep: Wanted,
    ) -> Result<ReadImage, AuditError> {
        let chosen = &self.candidates[select::choose(&self.store, &self.candidates, wanted)?];
        let mut tree = Tree::default();
        let mut notes = Vec::new();
        let mut layers = Vec::with_capacity(chosen.layers.len());
        for layer in &chosen.layers {
            layers.push(layer::apply(
                &self.store,
                layer,
                keep,
                &mut tree,
                &mut notes,
            )?);
        }
        Ok(ReadImage {
            source: self.image.to_string(),
            platform: chosen.platform.clone(),
            available: self.platforms(),
            manifest: chosen.manifest.clone(),
            ref_name: chosen.ref_name.clone(),
            created: chosen.created.clone(),
            vendor: chosen.vendor.clone(),
            recipe_contents: chosen.recipe_contents.clone(),
            layers,
            tree,
            notes,
        })
    }
}
