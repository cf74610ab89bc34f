export * from "./permit";
export * from "./roles";
export * from "./rewards";
