#!/usr/bin/env node
import { notAvailableYet } from './not-yet.js';

notAvailableYet('lnetd');
