export * from "./permit";
export * from "./roles";
export * from "./rewards";
export * from "./usage";
export * from "./epoch";
export * from "./network";
export * from "./bundle";
export * from "./redemption";
