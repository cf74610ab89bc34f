export * from "./permit";
export * from "./roles";
