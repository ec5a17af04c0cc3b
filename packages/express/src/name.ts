import { ConfigError } from '@mooring/core'
import express from 'express'

/**
 * Properties Node and Express set on every request object as their own (not on its prototype), so a
 * registration named after one of them would be overwritten, or would break routing.
 */
const SET_PER_REQUEST = [
  'socket',
  'client',
  'url',
  'method',
  'rawHeaders',
  'complete',
  'app',
  'res',
  'next',
  'params',
  'body',
  'route',
  'baseUrl',
  'originalUrl',
]

/**
 * The core binding checks that `name` is an identifier; Express adds that it must not be taken on
 * `req`: `query` is a getter without a setter in Express 5, so assigning it would throw on every request.
 */
export function checkRequestProperty(name: string): void {
  if (name in express.request || SET_PER_REQUEST.includes(name)) {
    throw new ConfigError('name', name, 'a property Express and Node do not already use on req')
  }
}
