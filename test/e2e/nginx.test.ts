/**
 * Gatehouse behind nginx, started from examples/ with only hosts and ports templated; see scenarios.ts.
 */
import { proxyScenarios } from './scenarios.js'

proxyScenarios('nginx')
