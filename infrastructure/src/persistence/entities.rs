//! What every context's sea-orm entities share. Entities stay in infrastructure; repositories
//! map them to domain types.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}
pub(crate) use no_relations;
